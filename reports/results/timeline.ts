/**
 * The timeline's entries as results carry them (part of the results contract): phases, fault windows,
 * probe samples, Kubernetes events, UID changes, healer decisions, task lifecycle and notes. The engine
 * records them (harness/core/timeline.ts); reports render them.
 */
export type PhaseName = "setup" | "steadyState" | "faults" | "expect" | "revert" | "steadyStateAfter" | "leakAudit" | "teardown";

export type SampleOutcome = "ok" | "not-ok" | "no-data";

export type TimelineEntry =
  | { at: number; kind: "phase"; phase: PhaseName; state: "start" | "end" }
  | {
      at: number;
      kind: "fault";
      fault: string;
      type: string;
      event: "planned" | "scheduled" | "journaled" | "injected" | "effect-confirmed" | "no-evidence" | "stopped" | "reverted" | "revert-failed";
      detail?: string;
      data?: Record<string, unknown>;
    }
  | { at: number; kind: "probe"; probe: string; outcome: SampleOutcome; value?: unknown; detail?: string }
  | {
      at: number;
      kind: "k8s-event";
      namespace: string;
      involvedObject: { kind: string; name: string; uid?: string };
      reason: string;
      message: string;
      type: string;
      source?: string;
    }
  | {
      at: number;
      kind: "object";
      change: "added" | "deleted" | "uid-changed" | "modified";
      objectKind: string;
      namespace: string;
      name: string;
      uid: string;
      previousUid?: string;
      detail?: string;
    }
  | {
      at: number;
      kind: "healer";
      action: "detected" | "replaced" | "suppressed";
      jobName: string;
      jobUid: string;
      taskId: string;
      reason?: string;
      replacementJobName?: string;
      replacementJobUid?: string;
      /** Where the decision was seen: the healer's queue-events record or its Kubernetes Event. */
      source: "queue-events" | "k8s-event";
      /** How long the harness itself had seen no event from that Job before the decision (evidence). */
      observedSilenceMs?: number;
    }
  | {
      at: number;
      kind: "task";
      /** A worker's lifecycle on queue-events: an attempt started, its events flow (first heartbeat or
       * progress after a start), it reported an error, it completed. Heartbeats themselves are not kept. */
      event: "started" | "flowing" | "error" | "completed";
      taskId: string;
      jobName: string;
      jobUid: string;
      attempt: number;
      severity?: string;
      message?: string;
    }
  | { at: number; kind: "note"; level: "info" | "warning"; message: string };

export type TimelineKind = TimelineEntry["kind"];
export type EntryOf<K extends TimelineKind> = Extract<TimelineEntry, { kind: K }>;

/** A timeline as a result holds it: entries sorted, with `t` (ms since the first) and ISO `time`. */
export interface TimelineJson {
  startedAt: number | undefined;
  entries: (TimelineEntry & { t: number; time: string })[];
}
