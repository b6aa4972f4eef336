/**
 * OverrideRejected Events: a Job whose per-Job threshold annotations were rejected gets one Warning
 * Event from the leader, and another only after its overrides are rejected anew or it is re-created.
 */
import type { TrackedJob } from "../state/tracked-job.ts";
import { EVENT_REASONS, type EventRecorder } from "./events-recorder.ts";

export class OverrideRejectionReporter {
  /** Jobs whose rejected threshold overrides already got their Event. */
  private readonly reported = new Set<string>();

  constructor(private readonly recorder: Pick<EventRecorder, "record">) {}

  /** The Job's overrides were rejected anew, or it is gone: report again when due. */
  forget(uid: string): void {
    this.reported.delete(uid);
  }

  reportNew(jobs: Iterable<TrackedJob>): void {
    for (const entry of jobs) {
      if (entry.overrideRejections.length === 0 || this.reported.has(entry.uid)) continue;
      this.reported.add(entry.uid);
      void this.recorder.record({ namespace: entry.namespace, name: entry.name, uid: entry.uid }, "Warning", EVENT_REASONS.overrideRejected, entry.overrideRejections.join("; "));
    }
  }
}
