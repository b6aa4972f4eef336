/**
 * The detector: a pure function from what the healer knows about one Job (on its own monotonic clock)
 * to a verdict, in the spirit of Burrow's consumer-status classes. No I/O, no clock of its own: the
 * timing is unit-tested with simulated time.
 */
import type { DetectionThresholds } from "../runtime/config.ts";
import type { JobLifecycle } from "../state/job-facts.ts";
import type { DetectionReason, LivenessState } from "../state/tracked-job.ts";

export interface Evidence {
  silenceMs?: number;
  noProgressMs?: number;
  thresholdMs?: number;
  detail?: string;
}

export type Verdict =
  /** Lifecycle the healer never acts on (suspended, deleting, complete, fatal, gave up, ...). */
  | { kind: "ignored"; lifecycle: JobLifecycle }
  | { kind: "finishing" }
  /** No Ready pod yet: scheduling and image pulls are Kubernetes' business, not a hang. */
  | { kind: "starting" }
  | { kind: "grace"; remainingMs: number }
  | { kind: "ok"; silenceMs: number; idle: boolean }
  | { kind: "stuck"; reason: DetectionReason; evidence: Evidence };

export function detect(state: LivenessState, thresholds: DetectionThresholds, nowMs: number): Verdict {
  if (state.lifecycle === "failed-disrupted") {
    return { kind: "stuck", reason: "DISRUPTED", evidence: { detail: "Job failed because its pods were disrupted" } };
  }
  if (state.lifecycle !== "active") return { kind: "ignored", lifecycle: state.lifecycle };
  // FAULT and REWIND are facts the Job reported, not inferences from silence: no grace applies.
  if (state.fault) {
    return { kind: "stuck", reason: "FAULT", evidence: { detail: state.fault.message ?? "critical error reported" } };
  }
  if (state.rewind) {
    return {
      kind: "stuck",
      reason: "REWIND",
      evidence: { detail: `seq went back from ${state.rewind.fromSeq} to ${state.rewind.toSeq}` },
    };
  }
  if (state.completedByEvent) return { kind: "finishing" };
  if (!state.hasReadyPod) return { kind: "starting" };

  const graceEndMs = state.graceStartMs + thresholds.gracePeriodMs;
  if (nowMs < graceEndMs) return { kind: "grace", remainingMs: graceEndMs - nowMs };

  // Silence is counted from the last event or the start of grace, whichever is later: a fresh grace
  // (after a breaker episode or a failover) restarts the count for everyone.
  const silenceMs = nowMs - Math.max(state.lastEventMs ?? state.graceStartMs, state.graceStartMs);
  if (silenceMs > thresholds.silenceThresholdMs) {
    return { kind: "stuck", reason: "STOP", evidence: { silenceMs, thresholdMs: thresholds.silenceThresholdMs } };
  }
  if (state.lastProgress !== undefined && !state.idle) {
    const noProgressMs = nowMs - Math.max(state.progressChangedMs ?? state.graceStartMs, state.graceStartMs);
    if (noProgressMs > thresholds.noProgressThresholdMs) {
      return {
        kind: "stuck",
        reason: "STALL",
        evidence: { silenceMs, noProgressMs, thresholdMs: thresholds.noProgressThresholdMs },
      };
    }
  }
  return { kind: "ok", silenceMs, idle: state.idle };
}

/** Verdicts that count as "judged" for the breaker's silent-fraction rule (active Jobs with a Ready pod). */
export function isJudged(verdict: Verdict): boolean {
  return verdict.kind === "grace" || verdict.kind === "ok" || (verdict.kind === "stuck" && (verdict.reason === "STOP" || verdict.reason === "STALL"));
}

export function isSilent(verdict: Verdict): boolean {
  return verdict.kind === "stuck" && verdict.reason === "STOP";
}

/**
 * The earliest monotonic time at which `detect` could return a different kind of verdict for this Job
 * if nothing new is learned about it (no event, no informer update): the end of grace, or the moment
 * silence or stalled progress passes its threshold. `Infinity` when only new input can change it.
 *
 * New events only move these moments later (a later last event, a later progress change), so a
 * deadline computed before them is never late: at worst the Job is judged once early and rescheduled.
 * Inputs that can move a moment earlier (idle cleared, first progress, a new pod, fresh grace) are
 * reported by the tracker as changes and judged at once.
 */
export function nextReviewMs(state: LivenessState, thresholds: DetectionThresholds, verdict: Verdict): number {
  switch (verdict.kind) {
    case "ignored":
    case "finishing":
    case "starting":
      return Infinity;
    case "grace":
      return state.graceStartMs + thresholds.gracePeriodMs;
    case "stuck":
      // STOP, FAULT, REWIND, DISRUPTED hold until new input; a STALL becomes a STOP when silence passes too.
      return verdict.reason === "STALL" ? silenceDeadlineMs(state, thresholds) : Infinity;
    case "ok": {
      const silence = silenceDeadlineMs(state, thresholds);
      if (state.lastProgress === undefined || state.idle) return silence;
      const noProgressSince = Math.max(state.progressChangedMs ?? state.graceStartMs, state.graceStartMs);
      return Math.min(silence, noProgressSince + thresholds.noProgressThresholdMs + 1);
    }
  }
}

/** `detect` calls silence STOP when MORE than the threshold has passed: the first whole ms after it. */
function silenceDeadlineMs(state: LivenessState, thresholds: DetectionThresholds): number {
  return Math.max(state.lastEventMs ?? state.graceStartMs, state.graceStartMs) + thresholds.silenceThresholdMs + 1;
}
