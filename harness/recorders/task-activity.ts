/**
 * Worker lifecycle for the timeline, from queue-events: `started`, the first heartbeat or progress after
 * each start (`flowing`: the task's events flow again), `error`, `completed`. One entry per change, not
 * per heartbeat, so a timeline of minutes stays readable.
 */
import type { QueueEvent } from "../../workloads/queue-events/contract.ts";
import type { EntryOf } from "../../reports/results/timeline.ts";

type TaskEntry = EntryOf<"task">;

export class TaskActivityFolder {
  /** Job UIDs whose current process has started and not yet been seen flowing. */
  private readonly awaitingFlow = new Set<string>();
  /** Job UIDs seen at all: a worker first heard mid-stream counts as flowing once. */
  private readonly seen = new Set<string>();

  fold(event: QueueEvent): TaskEntry | undefined {
    const entry = (kind: TaskEntry["event"]): TaskEntry => ({
      kind: "task",
      event: kind,
      taskId: event.taskId,
      jobName: event.jobName,
      jobUid: event.jobUid,
      attempt: event.attempt,
      severity: event.severity,
      message: event.message,
      at: event.ts,
    });
    switch (event.type) {
      case "started":
        this.seen.add(event.jobUid);
        this.awaitingFlow.add(event.jobUid);
        return entry("started");
      case "heartbeat":
      case "progress":
      case "idle":
        if (this.awaitingFlow.delete(event.jobUid) || !this.seen.has(event.jobUid)) {
          this.seen.add(event.jobUid);
          return entry("flowing");
        }
        return undefined;
      case "error":
        return entry("error");
      case "completed":
        this.awaitingFlow.delete(event.jobUid);
        return entry("completed");
      default:
        return undefined;
    }
  }
}
