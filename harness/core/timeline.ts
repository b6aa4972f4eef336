/**
 * One correlated timeline per scenario: phases, fault windows, probe samples, Kubernetes events, UID
 * changes and healer decisions, all stamped with the same clock. Reports attach it whole; timing
 * expectations read it (healer decisions, object changes) instead of asking the cluster again.
 */
import type { EntryOf, PhaseName, TimelineEntry, TimelineJson, TimelineKind } from "../../reports/results/timeline.ts";
import type { Clock } from "./clock.ts";

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

  toJSON(): TimelineJson {
    const sorted = this.all();
    const origin = sorted[0]?.at ?? 0;
    return {
      startedAt: sorted[0]?.at,
      entries: sorted.map((entry) => ({ ...entry, t: entry.at - origin, time: new Date(entry.at).toISOString() })),
    };
  }
}
