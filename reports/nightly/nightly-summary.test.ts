import { describe, expect, it } from "vitest";
import { nightVerdict, renderNightlySummary, verdictTrend } from "./nightly-summary.ts";
import { recordBrokenLab, recordRun } from "./run-record.ts";
import { scenarioTrends } from "./scenario-trends.ts";
import { nightSummary, type ForcedVerdicts } from "./testing/nightly-fixtures.ts";

const summaryOf = (...forced: ForcedVerdicts[]) => {
  const runs = forced.map((force, night) => recordRun(nightSummary(night, force)));
  return renderNightlySummary({ runs, trends: scenarioTrends(runs), flakyWindow: 5 });
};

describe("the nightly summary", () => {
  it("names regressions on its first lines, then fixes", () => {
    const lines = summaryOf({}, { "loader-pod-delete": "failed", "broker-crash": "passed" }).split("\n");
    expect(lines[0]).toMatch(/^🔴 REGRESSION: loader-pod-delete passed last run and FAILED tonight — expect\[1\] kafka\.ledger: forced to fail/);
    expect(lines[1]).toBe("🟢 FIXED: broker-crash failed last run and passed tonight");
  });

  it("says so first when nothing changed", () => {
    expect(summaryOf({}, {}).split("\n")[0]).toBe("No regressions, no fixes since the last run.");
  });

  it("has the score with its trend, and one row per scenario with its verdicts and MTTR over the runs", () => {
    const text = summaryOf({}, { "loader-pod-delete": "failed" }, {});
    expect(text).toContain("Resilience score: **92.9** (trend over 3 run(s): 92.9 → 76.2 → 92.9)");
    expect(text).toContain("| loader-pod-delete | passed | `P F P` | 13.7s | 11.4s → 12.5s → 13.7s | – | fixed, flaky (2 flips in 5 runs) |");
    expect(text).toContain("| kafka-latency | broken | `B B B` |");
  });

  it("tells a resilience failure from a broken lab", () => {
    expect(nightVerdict(recordRun(nightSummary(0))).kind).toBe("resilience-failure");
    expect(nightVerdict(recordRun(nightSummary(0, { "broker-crash": "passed" }))).line).toMatch(/^\*\*Infrastructure\*\* — 1 scenario\(s\) broken or inconclusive: the lab, not StreamForge/);
    expect(nightVerdict(recordBrokenLab("kind create cluster failed", { exitCode: 3 }))).toMatchObject({ kind: "lab-broken" });
  });

  it("draws verdict trends with one mark per run", () => {
    expect(verdictTrend(["passed", null, "failed", "broken", "inconclusive", "skipped"])).toBe("P · F B I S");
  });
});
