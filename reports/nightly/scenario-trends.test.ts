import { describe, expect, it } from "vitest";
import type { Verdict } from "../results/verdict.ts";
import { recordRun, type RunRecord, type ScenarioRecord } from "./run-record.ts";
import { countFlips, fixes, regressions, scenarioTrends } from "./scenario-trends.ts";
import { nightSummary, type ForcedVerdicts } from "./testing/nightly-fixtures.ts";

const nights = (...forced: ForcedVerdicts[]): RunRecord[] => forced.map((force, night) => recordRun(nightSummary(night, force)));

/** Runs with only the verdicts that matter for one scenario. */
const runsOf = (verdicts: (Verdict | null)[]): RunRecord[] =>
  verdicts.map((verdict, index) => ({
    version: 1,
    runId: `r${index}`,
    at: `2025-11-${String(10 + index).padStart(2, "0")}T02:00:00.000Z`,
    provider: "sim",
    labBroken: null,
    exitCode: 0,
    score: null,
    scenarios: (verdict ? { s: { verdict, category: null, mttrMs: null, timeToRollbackMs: null, held: 0, checks: 0, weight: 1, reason: null } } : {}) as Record<string, ScenarioRecord>,
  }));

describe("scenario trends over the nightly history", () => {
  it("names a scenario that passed last run and fails tonight a regression", () => {
    const trends = scenarioTrends(nights({}, { "loader-pod-delete": "failed" }));
    expect(regressions(trends).map((trend) => trend.name)).toEqual(["loader-pod-delete"]);
    expect(trends.find((trend) => trend.name === "loader-pod-delete")).toMatchObject({ previous: "passed", current: "failed", verdicts: ["passed", "failed"] });
    // broker-crash failed both nights: still failing is not news.
    expect(trends.find((trend) => trend.name === "broker-crash")!.change).toBeNull();
  });

  it("names a scenario that failed last run and passes tonight fixed", () => {
    const trends = scenarioTrends(nights({}, { "broker-crash": "passed" }));
    expect(fixes(trends).map((trend) => trend.name)).toEqual(["broker-crash"]);
    expect(regressions(trends)).toEqual([]);
  });

  it("looks past nights on which the lab broke to the last decisive verdict", () => {
    expect(scenarioTrends(runsOf(["passed", "broken", "inconclusive", "failed"]))[0]).toMatchObject({ change: "regression", previous: "passed" });
    expect(scenarioTrends(runsOf(["passed", null, "failed"]))[0]!.change).toBe("regression");
    // Passed, then broken tonight: infrastructure, not a regression.
    expect(scenarioTrends(runsOf(["passed", "broken"]))[0]!.change).toBeNull();
  });

  it("marks a scenario new the first time it runs", () => {
    expect(scenarioTrends(runsOf([null, "passed"]))[0]!.change).toBe("new");
    expect(scenarioTrends(runsOf(["failed"]))[0]!.change).toBe("new");
  });

  it("marks a scenario flaky when its verdict flipped twice or more within the window", () => {
    expect(scenarioTrends(runsOf(["passed", "failed", "passed"]))[0]).toMatchObject({ flaky: true, flips: 2, change: "fixed" });
    // One flip is a regression, not flakiness.
    expect(scenarioTrends(runsOf(["passed", "passed", "failed"]))[0]).toMatchObject({ flaky: false, flips: 1, change: "regression" });
    // Broken nights between are lab noise, not flips.
    expect(scenarioTrends(runsOf(["passed", "broken", "passed", "inconclusive"]))[0]!.flaky).toBe(false);
  });

  it("forgets flips older than the window (N configurable)", () => {
    const verdicts: Verdict[] = ["passed", "failed", "passed", "passed", "passed", "passed", "passed"];
    expect(scenarioTrends(runsOf(verdicts))[0]!.flaky).toBe(false); // default window 5: only passes
    expect(scenarioTrends(runsOf(verdicts), 7)[0]!.flaky).toBe(true);
    expect(() => scenarioTrends(runsOf(verdicts), 1)).toThrow(/flaky window 1/);
  });

  it("keeps the recorded verdict of a flaky scenario: a flip never turns a failure into a pass", () => {
    const trend = scenarioTrends(runsOf(["failed", "passed", "failed"]))[0]!;
    expect(trend).toMatchObject({ flaky: true, current: "failed", change: "regression" });
  });

  it("follows MTTR over the runs", () => {
    const trend = scenarioTrends(nights({}, {}, {})).find((candidate) => candidate.name === "loader-pod-delete")!;
    expect(trend.mttrMs).toEqual([11_400, 12_540, 13_680]);
  });

  it("counts flips of decisive verdicts only", () => {
    expect(countFlips(["passed", null, "failed", "skipped", "failed", "passed"])).toBe(2);
  });
});
