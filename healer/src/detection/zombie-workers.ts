/**
 * Zombie workers: events that still arrive from an attempt the healer replaced. They never count as
 * liveness of the new attempt (the tracker sees to that); here they are reported — a decision line and,
 * from the leader, a ZombieWorker Event — at most once a minute per zombie, so a chatty zombie cannot
 * flood the log or the API server.
 */
import type { QueueEvent } from "../../../workloads/queue-events/contract.ts";
import type { DecisionLog } from "../outputs/decision-log.ts";
import { EVENT_REASONS, type EventRecorder } from "../outputs/events-recorder.ts";
import type { Clock } from "../runtime/clock.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { CircuitBreaker } from "./breaker.ts";
import { targetOf } from "./evidence.ts";

const ZOMBIE_EVENT_INTERVAL_MS = 60_000;
/** Bounds the memory of reported zombies (oldest forgotten first). */
const MAX_REMEMBERED_ZOMBIES = 10_000;

export interface ZombieReporterOptions {
  clock: Clock;
  decisions: DecisionLog;
  recorder: Pick<EventRecorder, "record">;
  breaker: Pick<CircuitBreaker, "state" | "reasons">;
  isLeader(): boolean;
  dryRun: boolean;
}

export class ZombieReporter {
  private readonly reportedAtMs = new Map<string, number>();

  constructor(private readonly options: ZombieReporterOptions) {}

  report(event: QueueEvent, current: TrackedJob | undefined): void {
    const { clock, breaker } = this.options;
    const nowMs = clock.monotonicMs();
    const last = this.reportedAtMs.get(event.jobUid);
    if (last !== undefined && nowMs - last < ZOMBIE_EVENT_INTERVAL_MS) return;
    this.reportedAtMs.set(event.jobUid, nowMs);
    if (this.reportedAtMs.size > MAX_REMEMBERED_ZOMBIES) this.reportedAtMs.delete(this.reportedAtMs.keys().next().value as string);
    const message = `events still arrive from replaced attempt ${event.attempt} (Job ${event.jobName}, uid ${event.jobUid}): a zombie worker; they do not count as liveness${current ? ` of ${current.name} (attempt ${current.attempt})` : ""}`;
    this.options.decisions.record({
      action: "zombie",
      result: "reported",
      uid: event.jobUid,
      job: event.jobName,
      namespace: event.namespace,
      taskId: event.taskId,
      attempt: event.attempt,
      breaker: { state: breaker.state, reasons: breaker.reasons },
      leader: this.options.isLeader(),
      dryRun: this.options.dryRun,
      detail: message,
    });
    if (current && this.options.isLeader()) void this.options.recorder.record(targetOf(current), "Warning", EVENT_REASONS.zombieWorker, message);
  }
}
