import { describe, expect, it } from "vitest";
import { recordBrokenLab, recordRun } from "./run-record.ts";
import { nightSummary } from "./testing/nightly-fixtures.ts";

describe("a run's record, from its summary.json", () => {
  const summary = nightSummary(0);
  const record = recordRun(summary);

  it("keeps each scenario's verdict, checks held and weight", () => {
    expect(Object.keys(record.scenarios).sort()).toEqual(["broker-crash", "kafka-latency", "loader-pod-delete"]);
    expect(record.scenarios["loader-pod-delete"]).toMatchObject({ verdict: "passed", held: 3, checks: 3, weight: 1, reason: null });
    // broker-crash: 6 of 7 checks held; the ledger lost records.
    expect(record.scenarios["broker-crash"]).toMatchObject({ verdict: "failed", held: 6, checks: 7, category: "Resilience failures" });
    expect(record.scenarios["broker-crash"]!.reason).toMatch(/^expect\[3\] kafka\.ledger: .*lost 12/);
    expect(record.scenarios["kafka-latency"]).toMatchObject({ verdict: "broken", held: 0, checks: 0 });
  });

  it("takes the scenario's longest recovery as its MTTR", () => {
    expect(record.scenarios["broker-crash"]!.mttrMs).toBe(35_200);
    expect(record.scenarios["loader-pod-delete"]!.mttrMs).toBe(11_400);
    expect(record.scenarios["kafka-latency"]!.mttrMs).toBeNull();
  });

  it("takes time to rollback from the expectation that waits for a rollback", () => {
    const rolledBack = structuredClone(summary);
    const scenario = rolledBack.scenarios.find((candidate) => candidate.name === "broker-crash")!;
    scenario.expectations[0]!.description = "Rollout queue-manager is rolled-back within 50s";
    expect(recordRun(rolledBack).scenarios["broker-crash"]!.timeToRollbackMs).toBe(2_500);
    expect(record.scenarios["broker-crash"]!.timeToRollbackMs).toBeNull();
  });

  it("scores the run and identifies it by the given run id, else the summary's time", () => {
    // loader-pod-delete 3/3 (w 1), broker-crash 6/7 (w 1), kafka-latency not scored: 100 × (1 + 6/7) / 2
    expect(record.score).toBe(92.9);
    expect(record.runId).toBe(summary.generatedAt);
    expect(recordRun(summary, { runId: "123-1" }).runId).toBe("123-1");
    expect(record.provider).toBe("sim");
  });

  it("records a night whose lab never came up, without scenarios or score", () => {
    const broken = recordBrokenLab("kind create cluster failed", { exitCode: 3, at: "2025-11-25T02:30:00.000Z" });
    expect(broken).toMatchObject({ labBroken: "kind create cluster failed", exitCode: 3, score: null, scenarios: {} });
  });
});
