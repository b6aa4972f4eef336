/**
 * When each fault of a scenario starts: the one reading of a fault entry's `after:` for the run (inject)
 * and the dry run (`chaoslab plan`), so the schedule the plan shows is the one the run keeps.
 *
 * - no `after`: once the previous fault has been reverted (the first: when the faults phase starts) —
 *   faults one after another, as scenarios without composition always ran;
 * - `after: 10s`: that long after the faults phase started;
 * - `after: {fault: slow-kafka, by: 10s}`: that long after `slow-kafka` took effect (its injection).
 *   Only an earlier fault may be named, so a schedule can never wait on itself.
 *
 * The last two may overlap other faults; each still proves its own effect and reverts on its own.
 */
import { formatDuration, type DurationMs } from "../../workloads/queue-events/duration.ts";
import type { FaultEntry, FaultStartEntry } from "../scenario/schema.ts";

export type FaultStart =
  | { kind: "after-previous"; previous?: string }
  | { kind: "phase"; offsetMs: DurationMs }
  | { kind: "fault"; fault: string; offsetMs: DurationMs };

export function faultStartOf(entries: readonly Pick<FaultEntry, "name" | "after">[], index: number): FaultStart {
  const after: FaultStartEntry | undefined = entries[index]!.after;
  if (after === undefined) return { kind: "after-previous", ...(index > 0 ? { previous: entries[index - 1]!.name } : {}) };
  if (typeof after === "number") return { kind: "phase", offsetMs: after };
  return { kind: "fault", fault: after.fault, offsetMs: after.by };
}

/** For `plan` and the timeline: "when the faults phase starts", "10s after slow-kafka took effect", ... */
export function describeFaultStart(start: FaultStart): string {
  switch (start.kind) {
    case "after-previous":
      return start.previous === undefined ? "when the faults phase starts" : `after ${start.previous} is reverted`;
    case "phase":
      return start.offsetMs === 0 ? "when the faults phase starts" : `${formatDuration(start.offsetMs)} into the faults phase`;
    case "fault":
      return start.offsetMs === 0 ? `when ${start.fault} takes effect` : `${formatDuration(start.offsetMs)} after ${start.fault} took effect`;
  }
}
