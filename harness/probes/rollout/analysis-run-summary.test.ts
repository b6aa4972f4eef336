import { describe, expect, it } from "vitest";
import { measurementsWithValue, summarizeAnalysisRun } from "./analysis-run-summary.ts";
import { loadSnapshot, REVISION_2_HASH } from "./fixtures/snapshot-fixtures.ts";

describe("summarizeAnalysisRun", () => {
  it("names the metric that failed the run and keeps its measurements", () => {
    const run = loadSnapshot("rolled-back").analysisRuns[0]!;
    const summary = summarizeAnalysisRun(run);
    expect(summary).toMatchObject({
      name: `queue-manager-${REVISION_2_HASH}-2-1`,
      phase: "Failed",
      podTemplateHash: REVISION_2_HASH,
      rolloutType: "Step",
      stepIndex: 1,
      revision: 2,
      terminated: false,
    });
    expect(summary.decidingMetric?.name).toBe("canary-error-rate");
    const [failed] = measurementsWithValue(summary.decidingMetric!, "Failed");
    expect(JSON.parse(failed!.value!)).toMatchObject({ requests: 62, errors: 31, errorRate: 0.5 });
  });

  it("has no deciding metric for a Successful run", () => {
    const summary = summarizeAnalysisRun(loadSnapshot("promoted").analysisRuns[0]!);
    expect(summary.phase).toBe("Successful");
    expect(summary.decidingMetric).toBeUndefined();
    expect(measurementsWithValue(summary.metrics[0]!, "Successful")).toHaveLength(3);
  });

  it("ignores dry-run metrics when picking the deciding metric", () => {
    const run = loadSnapshot("rolled-back").analysisRuns[0]!;
    run.status!.metricResults = [
      { name: "shadow-latency", phase: "Failed", dryRun: true, measurements: [] },
      ...run.status!.metricResults!,
    ];
    expect(summarizeAnalysisRun(run).decidingMetric?.name).toBe("canary-error-rate");
  });

  it("does not count a measurement without a value or not finished", () => {
    const run = loadSnapshot("rolled-back").analysisRuns[0]!;
    const metric = summarizeAnalysisRun(run).metrics[0]!;
    metric.measurements = [
      { phase: "Failed", startedAt: "2025-11-24T10:02:29Z", finishedAt: "2025-11-24T10:02:29Z", value: "" },
      { phase: "Failed", startedAt: "2025-11-24T10:02:29Z", value: "{}" },
    ];
    expect(measurementsWithValue(metric, "Failed")).toEqual([]);
  });
});
