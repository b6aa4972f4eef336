import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.ts";
import { judgeDuring, judgeEventually, pollTimedCondition, type TimedSample, type TimingSpec } from "./timing.ts";

const R = 1_000_000;
/** Samples every second from the reference: "o" ok, "x" not ok, "-" no data. */
function series(pattern: string, stepMs = 1_000): TimedSample[] {
  return [...pattern].map((char, index) => ({
    at: R + index * stepMs,
    outcome: char === "o" ? "ok" : char === "x" ? "not-ok" : "no-data",
    detail: `sample ${index}`,
  }));
}
const spec = (fields: Partial<TimingSpec> = {}): TimingSpec => ({ onNoData: "inconclusive", ...fields });
const judge = (pattern: string, timing: Partial<TimingSpec>, now: number, final = false) =>
  judgeEventually(series(pattern), spec(timing), { reference: R, deadline: timing.within !== undefined ? R + timing.within : R + 600_000, now, final });

describe("within", () => {
  it("passes when the condition holds in time, with recovery and MTTR", () => {
    const judgement = judge("xxxo", { within: 5_000 }, R + 3_000);
    expect(judgement).toEqual({
      state: "decided",
      result: { verdict: "passed", message: "held from +3s", recoveredAt: R + 3_000, mttrMs: 3_000, detectedAt: R },
    });
  });

  it("fails when it holds only after the deadline", () => {
    const judgement = judge("xxxxxxo", { within: 5_000 }, R + 6_000);
    expect(judgement.state === "decided" && judgement.result).toMatchObject({ verdict: "failed", message: expect.stringContaining("after the deadline +5s") });
  });

  it("fails once the deadline passed without holding, and waits before that", () => {
    expect(judge("xxx", { within: 5_000 }, R + 2_000)).toEqual({ state: "pending" });
    const judgement = judge("xxxxxx", { within: 5_000 }, R + 5_001);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("failed");
  });
});

describe("notBefore", () => {
  it("fails when the condition holds too early (the healer acted before its threshold)", () => {
    const judgement = judge("xxo", { notBefore: 5_000, within: 10_000 }, R + 2_000);
    expect(judgement.state === "decided" && judgement.result).toMatchObject({ verdict: "failed", message: "held at +2s, before notBefore 5s (sample 2)" });
  });

  it("passes when it first holds between notBefore and within", () => {
    const judgement = judge("xxxxxxo", { notBefore: 5_000, within: 10_000 }, R + 6_000);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("passed");
  });
});

describe("stableFor", () => {
  it("needs the condition to keep holding; a relapse restarts the clock", () => {
    expect(judge("xoox", { stableFor: 3_000 }, R + 3_000)).toEqual({ state: "pending" });
    const judgement = judge("xooxoooo", { stableFor: 3_000 }, R + 7_000);
    expect(judgement.state === "decided" && judgement.result).toMatchObject({ verdict: "passed", recoveredAt: R + 4_000, mttrMs: 4_000 });
  });

  it("a run that starts before the deadline may finish after it", () => {
    expect(judge("xxxxoo", { within: 4_000, stableFor: 3_000 }, R + 5_500)).toEqual({ state: "pending" });
    const judgement = judge("xxxxoooo", { within: 4_000, stableFor: 3_000 }, R + 7_000);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("passed");
  });

  it("a run that ends before it was stable long enough is failed, never passed", () => {
    const judgement = judge("xxoo", { stableFor: 5_000 }, R + 3_000, true);
    expect(judgement.state === "decided" && judgement.result).toMatchObject({ verdict: "failed", message: expect.stringContaining("the run ended at +3s before the condition held for 5s") });
  });
});

describe("no data", () => {
  it("is inconclusive by default, never passed", () => {
    const judgement = judge("----", { within: 3_000 }, R + 3_500);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("inconclusive");
  });

  it("can be made a failure", () => {
    const judgement = judge("----", { within: 3_000, onNoData: "failed" }, R + 3_500);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("failed");
  });

  it("with some real not-ok data, a timeout is failed, not inconclusive", () => {
    const judgement = judge("--x-", { within: 3_000 }, R + 3_500);
    expect(judgement.state === "decided" && judgement.result.verdict).toBe("failed");
  });

  it("breaks a stable run", () => {
    expect(judge("oo-oo", { stableFor: 2_000 }, R + 4_000)).toMatchObject({ state: "pending" });
  });
});

describe("during", () => {
  it("computes the share of holding samples over the window, ignoring empty samples", () => {
    const result = judgeDuring(series("oooxo-o"), spec({ during: { minSuccessRatio: 0.8 } }), { start: R, end: R + 6_000 });
    expect(result).toMatchObject({ verdict: "passed", successRatio: 5 / 6, detectedAt: R + 3_000 });
    expect(judgeDuring(series("ooxxo"), spec({ during: { minSuccessRatio: 0.8 } }), { start: R, end: R + 6_000 }).verdict).toBe("failed");
  });

  it("is no-data when nothing in the window had data", () => {
    expect(judgeDuring(series("---"), spec({ during: { minSuccessRatio: 0.5 } }), { start: R, end: R + 6_000 }).verdict).toBe("inconclusive");
  });
});

describe("pollTimedCondition (simulated time)", () => {
  it("samples until the condition holds and reports when", async () => {
    const clock = new ManualClock(R);
    const controller = new AbortController();
    const healthyFrom = R + 4_500;
    const done = pollTimedCondition(
      async () => ({ outcome: clock.now() >= healthyFrom ? "ok" : "not-ok", detail: "lag" }),
      spec({ within: 10_000 }),
      { clock, signal: controller.signal, reference: Promise.resolve(R), scenarioDeadline: R + 60_000, faultWindow: new Promise(() => undefined) },
    );
    const result = await clock.runUntil(done, 100);
    expect(result).toMatchObject({ verdict: "passed", recoveredAt: R + 5_000, mttrMs: 5_000 });
  });

  it("fails at the deadline without waiting for the scenario's end", async () => {
    const clock = new ManualClock(R);
    const done = pollTimedCondition(async () => ({ outcome: "not-ok", detail: "lag 9000 > max 1000" }), spec({ within: 3_000 }), {
      clock,
      signal: new AbortController().signal,
      reference: Promise.resolve(R),
      scenarioDeadline: R + 600_000,
      faultWindow: new Promise(() => undefined),
    });
    const result = await clock.runUntil(done, 250);
    expect(result.verdict).toBe("failed");
    expect(result.message).toContain("last: lag 9000 > max 1000");
    expect(clock.now() - R).toBeLessThan(6_000);
  });

  it("an interrupted run is judged with what it has: failed, never passed", async () => {
    const clock = new ManualClock(R);
    const controller = new AbortController();
    const done = pollTimedCondition(async () => ({ outcome: "not-ok", detail: "down" }), spec(), {
      clock,
      signal: controller.signal,
      reference: Promise.resolve(R),
      scenarioDeadline: R + 600_000,
      faultWindow: new Promise(() => undefined),
    });
    await clock.advance(2_500);
    controller.abort();
    const result = await clock.runUntil(done, 100);
    expect(result.verdict).toBe("failed");
    expect(result.message).toContain("the run ended");
  });

  it("a probe that throws counts as no data", async () => {
    const clock = new ManualClock(R);
    const done = pollTimedCondition(
      async () => {
        throw new Error("ECONNREFUSED");
      },
      spec({ within: 2_000 }),
      { clock, signal: new AbortController().signal, reference: Promise.resolve(R), scenarioDeadline: R + 60_000, faultWindow: new Promise(() => undefined) },
    );
    const result = await clock.runUntil(done, 250);
    expect(result).toMatchObject({ verdict: "inconclusive", message: expect.stringContaining("probe error: ECONNREFUSED") });
  });

  it("in during mode, samples until the fault window closes", async () => {
    const clock = new ManualClock(R);
    let closeWindow!: (window: { start: number; end: number }) => void;
    const window = new Promise<{ start: number; end: number }>((resolve) => (closeWindow = resolve));
    const done = pollTimedCondition(async () => ({ outcome: clock.now() < R + 3_000 ? "ok" : "not-ok", detail: "" }), spec({ during: { minSuccessRatio: 0.5 } }), {
      clock,
      signal: new AbortController().signal,
      reference: Promise.resolve(R),
      scenarioDeadline: R + 60_000,
      faultWindow: window,
    });
    await clock.advance(9_500);
    closeWindow({ start: R, end: R + 9_000 });
    const result = await clock.runUntil(done, 500);
    expect(result).toMatchObject({ verdict: "failed", successRatio: 0.3 });
  });
});
