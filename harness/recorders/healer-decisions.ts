/**
 * Healer decisions for the timeline, from its two channels: `healer.*` records on queue-events and its
 * Kubernetes Events. Worker events feed `observedSilenceMs`: how long the harness itself had heard
 * nothing from a Job when the healer acted (evidence for "replaced after X was silent ≥ threshold").
 */
import type { QueueEvent } from "../../workloads/queue-events/contract.ts";
import type { EntryOf } from "../../reports/results/timeline.ts";

type HealerEntry = Omit<EntryOf<"healer">, "at"> & { at: number };

const ACTIONS: Record<string, EntryOf<"healer">["action"]> = {
  "healer.detected": "detected",
  "healer.replaced": "replaced",
  "healer.suppressed": "suppressed",
};

/** Kubernetes Event reasons the healer emits (specs/healer.md "Observability"). */
const EVENT_REASONS: Record<string, EntryOf<"healer">["action"]> = {
  StuckDetected: "detected",
  FaultReported: "detected",
  Replaced: "replaced",
  RemediationSuppressed: "suppressed",
};

export class HealerDecisionFolder {
  private readonly lastWorkerEventAt = new Map<string, number>();

  /** One queue-events record; returns a timeline entry for healer decisions. */
  fold(event: QueueEvent): HealerEntry | undefined {
    const action = ACTIONS[event.type];
    if (!action) {
      const previous = this.lastWorkerEventAt.get(event.jobUid) ?? 0;
      this.lastWorkerEventAt.set(event.jobUid, Math.max(previous, event.ts));
      return undefined;
    }
    const lastHeard = this.lastWorkerEventAt.get(event.jobUid);
    return {
      kind: "healer",
      action,
      jobName: event.jobName,
      jobUid: event.jobUid,
      taskId: event.taskId,
      reason: event.reason,
      replacementJobName: event.replacementJobName,
      replacementJobUid: event.replacementJobUid,
      source: "queue-events",
      at: event.ts,
      observedSilenceMs: lastHeard !== undefined ? Math.max(0, event.ts - lastHeard) : undefined,
    };
  }
}

export function healerDecisionFromEvent(event: {
  reason?: string;
  involvedObject?: { kind?: string; name?: string; uid?: string };
  at: number;
  message?: string;
}): HealerEntry | undefined {
  const action = event.reason ? EVENT_REASONS[event.reason] : undefined;
  if (!action || event.involvedObject?.kind !== "Job" || !event.involvedObject.name) return undefined;
  return {
    kind: "healer",
    action,
    jobName: event.involvedObject.name,
    jobUid: event.involvedObject.uid ?? "",
    taskId: event.involvedObject.name.replace(/-r\d+$/, ""),
    reason: event.message?.match(/\b(STOP|STALL|REWIND|FAULT|DISRUPTED)\b/)?.[1],
    source: "k8s-event",
    at: event.at,
  };
}
