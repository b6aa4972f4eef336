/** The `healer_jobs_tracked{state}` gauge: each tracked Job counted in one state, from its verdict and lifecycle. */
import { JOB_STATES, type JobState } from "../outputs/metrics.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { Verdict } from "./detector.ts";

function stateOf(entry: TrackedJob, verdict: Verdict): JobState {
  switch (verdict.kind) {
    case "stuck":
      return "stuck";
    case "grace":
      return "grace";
    case "starting":
      return "starting";
    case "finishing":
      return "finishing";
    case "ok":
      return verdict.idle ? "idle" : "ok";
    case "ignored":
      switch (entry.lifecycle) {
        case "suspended":
          return "suspended";
        case "pending-replacement":
          return "replacing";
        case "deleting":
          return "deleting";
        case "complete":
          return "complete";
        case "gave-up":
          return "gave_up";
        default:
          return "failed";
      }
  }
}

/** Jobs per state, every state present (a state nobody is in reads 0, not a stale count). */
export function countStates(judged: Iterable<[TrackedJob, Verdict]>): Map<JobState, number> {
  const counts = new Map<JobState, number>(JOB_STATES.map((state) => [state, 0]));
  for (const [entry, verdict] of judged) {
    const state = stateOf(entry, verdict);
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return counts;
}
