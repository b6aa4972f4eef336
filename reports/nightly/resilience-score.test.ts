import { describe, expect, it } from "vitest";
import { runScore, scenarioPoints, weightOf } from "./resilience-score.ts";

describe("resilience score", () => {
  it("weighs smoke scenarios double and everything else 1", () => {
    expect(weightOf(["smoke", "nightly", "healer"])).toBe(2);
    expect(weightOf(["nightly", "kafka"])).toBe(1);
    expect(weightOf([])).toBe(1);
  });

  it("scores a scenario by the share of its checks that held", () => {
    expect(scenarioPoints({ verdict: "passed", held: 3, checks: 3, weight: 1 })).toBe(1);
    expect(scenarioPoints({ verdict: "failed", held: 6, checks: 7, weight: 1 })).toBeCloseTo(6 / 7);
  });

  it("never scores a failed scenario full, even when no check recorded the failure", () => {
    expect(scenarioPoints({ verdict: "failed", held: 4, checks: 4, weight: 1 })).toBe(0);
    expect(scenarioPoints({ verdict: "failed", held: 0, checks: 0, weight: 1 })).toBe(0);
  });

  it("leaves broken, inconclusive and skipped scenarios out: they say nothing about resilience", () => {
    for (const verdict of ["broken", "inconclusive", "skipped"] as const) expect(scenarioPoints({ verdict, held: 0, checks: 2, weight: 1 })).toBeNull();
    expect(runScore([{ verdict: "passed", held: 2, checks: 2, weight: 1 }, { verdict: "broken", held: 0, checks: 2, weight: 5 }])).toBe(100);
  });

  it("is the weighted mean of the scenario points, in percent (the README's example)", () => {
    // smoke scenario all held (w 2), another holding 1 of 2 checks (w 1): 100 × (2·1 + 1·0.5) / 3 = 83.3
    expect(runScore([{ verdict: "passed", held: 3, checks: 3, weight: 2 }, { verdict: "failed", held: 1, checks: 2, weight: 1 }])).toBe(83.3);
  });

  it("has no score when nothing was decisive: no data is never 0 or 100", () => {
    expect(runScore([])).toBeNull();
    expect(runScore([{ verdict: "inconclusive", held: 0, checks: 1, weight: 1 }])).toBeNull();
  });
});
