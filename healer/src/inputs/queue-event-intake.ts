/**
 * The queue-events intake: every consumed record is de-duplicated by offset, parsed against the
 * contract, and handed to the tracker (the healer's own canaries go to the canary monitor). Events of
 * replaced attempts (zombies) and reported faults leave through the callbacks.
 */
import { HEALER_CANARY_TASK_ID, type QueueEvent } from "../../../workloads/queue-events/contract.ts";
import { parseQueueEventFast } from "../../../workloads/queue-events/event-check.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import type { Clock } from "../runtime/clock.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { JobTracker } from "../state/tracker.ts";
import type { CanaryMonitor } from "./canary.ts";
import type { ConsumedRecord } from "./event-stream.ts";

export interface QueueEventIntakeOptions {
  tracker: JobTracker;
  canary: CanaryMonitor;
  metrics: HealerMetrics;
  clock: Clock;
  /** This process's canaries carry it as their jobUid. */
  instanceId: string;
  onZombie(event: QueueEvent, currentJob: TrackedJob | undefined): void;
  /** A Job reported a critical error or rewound: it is judged at once, not at the next tick. */
  onBecameFaulty(job: TrackedJob): void;
}

export class QueueEventIntake {
  /** Last applied offset per partition: a number while it is exact (< 2^53, always in practice), else a bigint. */
  private readonly processedOffsets = new Map<number, number | bigint>();

  constructor(private readonly options: QueueEventIntakeOptions) {}

  /** Forgets which offsets were applied (this replica starts consuming anew). */
  resetOffsets(): void {
    this.processedOffsets.clear();
  }

  readonly onRecord = (record: ConsumedRecord): void => {
    const { metrics, tracker, clock } = this.options;
    // Offsets of up to 15 digits are exact as numbers (no BigInt per record); number and bigint compare exactly.
    const offset = record.offset.length <= 15 ? Number(record.offset) : BigInt(record.offset);
    const previous = this.processedOffsets.get(record.partition);
    if (previous !== undefined && offset <= previous) {
      // Redelivered after a rebalance: already applied; applying it again would look like a REWIND.
      metrics.eventsRedelivered.inc();
      return;
    }
    this.processedOffsets.set(record.partition, offset);
    metrics.eventsConsumed.inc();
    const parsed = parseQueueEventFast(record.value);
    if (!parsed.ok) {
      metrics.eventsInvalid.inc({ reason: parsed.reason });
      return;
    }
    const event = parsed.event;
    if (event.taskId === HEALER_CANARY_TASK_ID) {
      if (event.jobUid === this.options.instanceId) {
        const roundTripMs = this.options.canary.received(event.seq, record.receivedMs);
        if (roundTripMs !== undefined) metrics.canaryRoundTrip.observe(roundTripMs / 1000);
      }
      return;
    }
    if (event.type.startsWith("healer.")) return;
    metrics.ingestLag.observe(Math.max(0, clock.wallMs() - event.ts) / 1000);
    const outcome = tracker.ingest(event, record.receivedMs);
    switch (outcome.kind) {
      case "unknown-job":
        metrics.eventsInvalid.inc({ reason: "unknown-job" });
        return;
      case "zombie":
        metrics.eventsZombie.inc();
        this.options.onZombie(event, outcome.currentJob);
        return;
      case "live":
        if (outcome.becameFaulty) this.options.onBecameFaulty(outcome.job);
        return;
      case "duplicate":
        return;
    }
  };
}
