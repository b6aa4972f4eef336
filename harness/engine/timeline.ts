/**
 * One correlated timeline per scenario: phases, fault windows, probe samples, Kubernetes events, UID
 * changes and healer decisions, all stamped with the same clock. Reports attach it whole; timing
 * expectations read it (healer decisions, object changes) instead of asking the cluster again.
 */
import type { Clock } from "./clock.ts";

export type PhaseName = "setup" | "steadyState" | "faults" | "expect" | "revert" | "steadyStateAfter" | "leakAudit" | "teardown";

export type SampleOutcome = "ok" | "not-ok" | "no-data";

export type TimelineEntry =
  | { at: number; kind: "phase"; phase: PhaseName; state: "start" | "end" }
  | {
      at: number;
      kind: "fault";
      fault: string;
      type: string;
      event: "planned" | "journaled" | "injected" | "effect-confirmed" | "no-evidence" | "reverted" | "revert-failed";
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
type Unstamped<E> = E extends TimelineEntry ? Omit<E, "at"> & { at?: number } : never;

export class Timeline {
  private readonly entries: TimelineEntry[] = [];
  private readonly listeners = new Set<(entry: TimelineEntry) => void>();

  constructor(private readonly clock: Clock) {}

  /** Appends an entry, stamped now unless it carries its own time (events observed with a delay). */
  record(entry: Unstamped<TimelineEntry>): TimelineEntry {
    const stamped = { ...entry, at: entry.at ?? this.clock.now() } as TimelineEntry;
    this.entries.push(stamped);
    for (const listener of this.listeners) listener(stamped);
    return stamped;
  }

  all(): readonly TimelineEntry[] {
    return [...this.entries].sort((a, b) => a.at - b.at);
  }

  ofKind<K extends TimelineKind>(kind: K): EntryOf<K>[] {
    return this.all().filter((entry): entry is EntryOf<K> => entry.kind === kind);
  }

  /** Called for every entry recorded from now on; returns an unsubscribe function. */
  subscribe(listener: (entry: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The start of a phase, if it has started. */
  phaseStart(phase: PhaseName): number | undefined {
    return this.entries.find((entry) => entry.kind === "phase" && entry.phase === phase && entry.state === "start")?.at;
  }

  toJSON(): { startedAt: number | undefined; entries: (TimelineEntry & { t: number; time: string })[] } {
    const sorted = this.all();
    const origin = sorted[0]?.at ?? 0;
    return {
      startedAt: sorted[0]?.at,
      entries: sorted.map((entry) => ({ ...entry, t: entry.at - origin, time: new Date(entry.at).toISOString() })),
    };
  }
}
