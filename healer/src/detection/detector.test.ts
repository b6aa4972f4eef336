import { describe, expect, it } from "vitest";
import type { DetectionThresholds } from "../runtime/config.ts";
import type { LivenessState } from "../state/tracked-job.ts";
import { detect, isJudged, isSilent, nextReviewMs } from "./detector.ts";

const thresholds: DetectionThresholds = {
  heartbeatIntervalMs: 1_000,
  silenceThresholdMs: 6_000,
  noProgressThresholdMs: 10_000,
  gracePeriodMs: 5_000,
};

/** A Job whose pod became Ready at t=0 (monotonic ms). */
function running(overrides: Partial<LivenessState> = {}): LivenessState {
  return { lifecycle: "active", hasReadyPod: true, graceStartMs: 0, idle: false, completedByEvent: false, ...overrides };
}

describe("detect", () => {
  it("is in grace right after the pod became Ready, then judged", () => {
    expect(detect(running(), thresholds, 4_999)).toEqual({ kind: "grace", remainingMs: 1 });
    expect(detect(running({ lastEventMs: 4_000 }), thresholds, 5_000)).toMatchObject({ kind: "ok", silenceMs: 1_000 });
  });

  it("STOP: only after MORE than the silence threshold since the last event", () => {
    const state = running({ lastEventMs: 10_000 });
    expect(detect(state, thresholds, 16_000)).toMatchObject({ kind: "ok", silenceMs: 6_000 });
    expect(detect(state, thresholds, 16_001)).toEqual({
      kind: "stuck",
      reason: "STOP",
      evidence: { silenceMs: 6_001, thresholdMs: 6_000 },
    });
  });

  it("STOP for a Job that never said anything counts silence from the start of grace", () => {
    expect(detect(running(), thresholds, 6_000).kind).toBe("ok");
    expect(detect(running(), thresholds, 6_001)).toMatchObject({ kind: "stuck", reason: "STOP" });
  });

  it("a fresh grace restarts the silence count for everyone (breaker re-grace, failover)", () => {
    const state = running({ lastEventMs: 1_000, graceStartMs: 20_000 });
    expect(detect(state, thresholds, 24_000).kind).toBe("grace");
    expect(detect(state, thresholds, 26_000)).toMatchObject({ kind: "ok", silenceMs: 6_000 });
    expect(detect(state, thresholds, 26_001)).toMatchObject({ kind: "stuck", reason: "STOP" });
  });

  it("STALL: heartbeats arrive but progress does not advance for the no-progress threshold", () => {
    const state = running({ lastEventMs: 20_000, lastProgress: 500, progressChangedMs: 10_000 });
    expect(detect(state, thresholds, 20_000).kind).toBe("ok");
    expect(detect(state, thresholds, 20_001)).toEqual({
      kind: "stuck",
      reason: "STALL",
      evidence: { silenceMs: 1, noProgressMs: 10_001, thresholdMs: 10_000 },
    });
  });

  it("a Job that said it is idle is not stalled (no progress is expected)", () => {
    const state = running({ lastEventMs: 30_000, lastProgress: 500, progressChangedMs: 0, idle: true });
    expect(detect(state, thresholds, 30_500)).toEqual({ kind: "ok", silenceMs: 500, idle: true });
  });

  it("a Job that never reports progress is never STALL", () => {
    expect(detect(running({ lastEventMs: 99_000 }), thresholds, 100_000).kind).toBe("ok");
  });

  it("FAULT and REWIND act at once, even in grace and even before a pod is Ready", () => {
    expect(detect(running({ fault: { atMs: 100, seq: 3, message: "disk on fire" } }), thresholds, 200)).toEqual({
      kind: "stuck",
      reason: "FAULT",
      evidence: { detail: "disk on fire" },
    });
    expect(detect(running({ hasReadyPod: false, rewind: { atMs: 100, fromSeq: 9, toSeq: 2 } }), thresholds, 200)).toMatchObject({
      kind: "stuck",
      reason: "REWIND",
      evidence: { detail: "seq went back from 9 to 2" },
    });
  });

  it("DISRUPTED: a Job failed by pod disruption is stuck whatever its events said", () => {
    expect(detect(running({ lifecycle: "failed-disrupted", lastEventMs: 100 }), thresholds, 200)).toMatchObject({ kind: "stuck", reason: "DISRUPTED" });
  });

  it("never judges suspended, deleting, complete, fatally failed, otherwise failed, gave-up or pending Jobs", () => {
    for (const lifecycle of ["suspended", "deleting", "complete", "failed-fatal", "failed-other", "gave-up", "pending-replacement"] as const) {
      expect(detect(running({ lifecycle, fault: { atMs: 0, seq: 0 } }), thresholds, 1_000_000)).toEqual({ kind: "ignored", lifecycle });
    }
  });

  it("no Ready pod yet: starting, not stuck (scheduling is Kubernetes' business)", () => {
    expect(detect(running({ hasReadyPod: false }), thresholds, 1_000_000)).toEqual({ kind: "starting" });
  });

  it("a Job that reported completed is finishing, not silent", () => {
    expect(detect(running({ completedByEvent: true, lastEventMs: 0 }), thresholds, 1_000_000)).toEqual({ kind: "finishing" });
  });

  it("classifies verdicts for the breaker's silent-fraction rule", () => {
    expect(isSilent(detect(running(), thresholds, 100_000))).toBe(true);
    expect(isJudged(detect(running(), thresholds, 1_000))).toBe(true);
    expect(isJudged(detect(running({ hasReadyPod: false }), thresholds, 1_000))).toBe(false);
    expect(isJudged(detect(running({ fault: { atMs: 0, seq: 0 } }), thresholds, 1_000))).toBe(false);
  });
});

describe("nextReviewMs", () => {
  it("names the end of grace, then the moment silence passes its threshold", () => {
    const state = running({ lastEventMs: 4_000 });
    expect(nextReviewMs(state, thresholds, detect(state, thresholds, 1_000))).toBe(5_000);
    expect(nextReviewMs(state, thresholds, detect(state, thresholds, 5_000))).toBe(10_001);
    expect(detect(state, thresholds, 10_000).kind).toBe("ok");
    expect(detect(state, thresholds, 10_001)).toMatchObject({ kind: "stuck", reason: "STOP" });
  });

  it("names the stall deadline when progress is tracked and it comes first; a STALL is reviewed for STOP", () => {
    const state = running({ lastEventMs: 20_000, lastProgress: 5, progressChangedMs: 12_000 });
    const okAt20s = detect(state, thresholds, 20_000);
    expect(nextReviewMs(state, thresholds, okAt20s)).toBe(22_001);
    const stall = detect(state, thresholds, 22_001);
    expect(stall).toMatchObject({ kind: "stuck", reason: "STALL" });
    expect(nextReviewMs(state, thresholds, stall)).toBe(26_001);
  });

  it("has no deadline where only new input can change the verdict", () => {
    for (const state of [
      running({ fault: { atMs: 1, seq: 1 } }),
      running({ hasReadyPod: false }),
      running({ completedByEvent: true }),
      running({ lifecycle: "complete" }),
    ]) {
      expect(nextReviewMs(state, thresholds, detect(state, thresholds, 9_000))).toBe(Infinity);
    }
    const stop = running();
    expect(nextReviewMs(stop, thresholds, detect(stop, thresholds, 60_000))).toBe(Infinity);
  });

  it("never misses a change: the verdict's kind holds at every moment before the deadline (random states)", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(values: T[]) => values[Math.floor(random() * values.length)]!;
    const label = (verdict: ReturnType<typeof detect>) => (verdict.kind === "stuck" ? verdict.reason : verdict.kind);
    const mismatches: string[] = [];
    for (let trial = 0; trial < 2_000; trial++) {
      const graceStartMs = Math.floor(random() * 10_000);
      const lastEventMs = pick([undefined, graceStartMs - 500, graceStartMs + Math.floor(random() * 8_000)]);
      const state = running({
        graceStartMs,
        lastEventMs,
        lastProgress: pick([undefined, 3]),
        progressChangedMs: pick([undefined, graceStartMs - 1_000, graceStartMs + Math.floor(random() * 12_000)]),
        idle: random() < 0.2,
      });
      const nowMs = graceStartMs + Math.floor(random() * 20_000);
      const verdict = detect(state, thresholds, nowMs);
      const deadline = nextReviewMs(state, thresholds, verdict);
      expect(deadline).toBeGreaterThan(nowMs);
      const horizon = Math.min(deadline, nowMs + 30_000);
      const moments = [deadline - 1];
      for (let t = nowMs; t < horizon; t += 1 + Math.floor(random() * 400)) moments.push(t);
      for (const t of moments) {
        if (Number.isFinite(t) && label(detect(state, thresholds, t)) !== label(verdict)) mismatches.push(`trial ${trial}: ${label(verdict)} at ${nowMs}, other at ${t} < ${deadline}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
