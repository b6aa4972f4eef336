/**
 * `waitForRollout`: the named waiting verb (Argo's e2e `WaitForRolloutStatus`): poll snapshots until a
 * predicate holds or the timeout passes, and always hand back the last snapshot, so a timeout still
 * reports what was seen.
 */
import { collectRolloutSnapshot, type RolloutReader, type RolloutSnapshot, type RolloutTarget } from "./rollout-snapshot.ts";
import { summarizeRollout } from "./rollout-summary.ts";

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called with every snapshot, e.g. to feed the scenario timeline. */
  onSnapshot?: (snapshot: RolloutSnapshot) => void;
  signal?: AbortSignal;
}

export type WaitResult = { met: true; snapshot: RolloutSnapshot; elapsedMs: number } | { met: false; snapshot: RolloutSnapshot | undefined; elapsedMs: number; lastError?: Error };

export async function waitForRollout(
  reader: RolloutReader,
  target: RolloutTarget,
  until: (snapshot: RolloutSnapshot) => boolean,
  options: WaitOptions,
): Promise<WaitResult> {
  const started = Date.now();
  const intervalMs = options.intervalMs ?? 1_000;
  let snapshot: RolloutSnapshot | undefined;
  let lastError: Error | undefined;
  for (;;) {
    try {
      snapshot = await collectRolloutSnapshot(reader, target);
      lastError = undefined;
      options.onSnapshot?.(snapshot);
      if (until(snapshot)) return { met: true, snapshot, elapsedMs: Date.now() - started };
    } catch (error) {
      // A read can fail while the API server is busy; keep polling and report the error on timeout.
      lastError = error as Error;
    }
    const remaining = options.timeoutMs - (Date.now() - started);
    if (remaining <= 0 || options.signal?.aborted) return { met: false, snapshot, elapsedMs: Date.now() - started, lastError };
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}

/** Predicates for `waitForRollout`, on the phase as Argo's clients compute it. */
export const rolloutIs = {
  phase: (phase: string) => (snapshot: RolloutSnapshot) => summarizeRollout(snapshot.rollout).phase === phase,
  aborted: () => (snapshot: RolloutSnapshot) => {
    const summary = summarizeRollout(snapshot.rollout);
    return summary.generationObserved && summary.abort && summary.phase === "Degraded";
  },
  /** Healthy with every replica on one revision (stable = current): revision N before a canary starts. */
  healthyOnOneRevision: () => (snapshot: RolloutSnapshot) => {
    const summary = summarizeRollout(snapshot.rollout);
    return summary.generationObserved && summary.phase === "Healthy" && summary.stableHash !== "" && summary.stableHash === summary.currentHash;
  },
  /** Healthy on a revision other than `previousStableHash`. */
  promotedFrom: (previousStableHash: string) => (snapshot: RolloutSnapshot) => {
    const summary = summarizeRollout(snapshot.rollout);
    return summary.phase === "Healthy" && summary.stableHash !== previousStableHash && summary.stableHash === summary.currentHash;
  },
};
