import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "./results/scenario-result.ts";
import type { Verdict, VerdictReason } from "./results/verdict.ts";
import { ALLURE_CATEGORIES, allureMessageOf, allureStatusOf, categoryOf } from "./allure-categories.ts";
import { summarize, writeRunOutputs } from "./summary.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function result(verdict: Verdict, reasons: VerdictReason[] = []): ScenarioResult {
  return {
    name: `s-${verdict}`,
    title: "A scenario",
    file: "scenarios/s.yaml",
    labels: ["nightly"],
    runId: "r1",
    seed: 42,
    verdict,
    reasons,
    startedAt: T0,
    finishedAt: T0 + 90_000,
    phases: [],
    setup: [],
    faults: [
      {
        name: "crash-leader",
        type: "kafka-broker-failure",
        verdict: "confirmed",
        plan: { fault: "crash-leader", type: "kafka-broker-failure", targets: [{ kind: "broker", id: "broker 2" }], candidates: 1, safety: { ok: true, violations: [] }, notes: [] },
        injectedAt: T0 + 10_000,
        effectConfirmedAt: T0 + 12_500,
        revertedAt: T0 + 30_000,
        evidence: { summary: "loader-data-0: leader 2 → 3", effectConfirmedAt: T0 + 12_500, observations: {} },
      },
    ],
    steadyState: [],
    expectations: [
      {
        index: 0,
        kind: "kafka.underReplicated",
        description: "under-replicated partitions ≤ 0",
        verdict: "passed",
        message: "held from +40s",
        recovery: { reference: T0 + 10_000, detectedAt: T0 + 11_000, recoveredAt: T0 + 50_000, mttrMs: 40_000 },
      },
      { index: 1, kind: "kafka.ledger", description: "ledger", verdict: "passed", message: "ok", ledger: { produced: 4000, acked: 4000, consumed: 4000, lost: 0, duplicated: 3, reordered: 1 } },
    ],
    ledger: { produced: 4000, acked: 4000, consumed: 4000, lost: 0, duplicated: 3, reordered: 1 },
    leaks: [],
    reverts: { reverted: 1, failed: [] },
    timeline: { startedAt: T0, entries: [] },
    fingerprint: { provider: "sim", components: {}, node: "v20", platform: "linux", libraries: {}, harness: "0.1.0", labStartedAt: "x" },
  };
}

describe("summary.json", () => {
  it("has per scenario the verdict, fault times, recoveries with MTTR, and the ledger", () => {
    const summary = summarize([result("passed")], T0 + 100_000);
    expect(summary).toMatchObject({ version: 1, exitCode: 0, totals: { passed: 1, failed: 0, scenarios: 1 } });
    expect(summary.scenarios[0]).toMatchObject({
      name: "s-passed",
      verdict: "passed",
      category: null,
      seed: 42,
      durationMs: 90_000,
      faults: [
        {
          name: "crash-leader",
          outcome: "confirmed",
          targets: ["broker 2"],
          injectedAt: "2025-01-01T12:00:10.000Z",
          effectConfirmedAt: "2025-01-01T12:00:12.500Z",
          revertedAt: "2025-01-01T12:00:30.000Z",
          timeToEffectMs: 2_500,
          evidence: "loader-data-0: leader 2 → 3",
        },
      ],
      recoveries: [{ expectation: "expect[0] kafka.underReplicated", detectedAt: "2025-01-01T12:00:11.000Z", recoveredAt: "2025-01-01T12:00:50.000Z", mttrMs: 40_000 }],
      ledger: { produced: 4000, acked: 4000, consumed: 4000, lost: 0, duplicated: 3, reordered: 1 },
    });
  });

  it("carries the run's exit code", () => {
    expect(summarize([result("passed"), result("failed", [{ verdict: "failed", source: "expect[1] kafka.ledger", message: "lost 12" }])]).exitCode).toBe(1);
    expect(summarize([result("inconclusive")]).exitCode).toBe(3);
  });

  it("writes the summary and one detail file per scenario", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "summary-"));
    const { summaryFile, detailFiles } = await writeRunOutputs([result("passed")], dir);
    expect(JSON.parse(await fs.readFile(summaryFile, "utf8")).scenarios).toHaveLength(1);
    expect(detailFiles.map((file) => path.basename(file))).toEqual(["s-passed.json"]);
  });
});

describe("Allure categories", () => {
  const reason = (verdict: Verdict, source: string): VerdictReason => ({ verdict, source, message: "why" });

  it("puts every non-passing verdict in exactly the category that explains it", () => {
    expect(categoryOf("failed", [reason("failed", "expect[0] kafka.ledger")])?.name).toBe("Resilience failures");
    expect(categoryOf("inconclusive", [reason("inconclusive", "fault crash")])?.name).toBe("Inconclusive: fault not shown to land, or no data");
    expect(categoryOf("broken", [reason("broken", "leak-audit")])?.name).toBe("Leaks after a scenario");
    expect(categoryOf("broken", [reason("broken", "setup[0] loaders")])?.name).toBe("Lab breakage");
    expect(categoryOf("passed", [])).toBeUndefined();
  });

  it("never lets a lab problem pass for a resilience failure or the reverse", () => {
    const resilience = ALLURE_CATEGORIES[0]!;
    expect(resilience.matchedStatuses).toEqual(["failed"]);
    expect(allureStatusOf("broken")).toBe("broken");
    expect(allureStatusOf("inconclusive")).toBe("broken");
    const labMessage = allureMessageOf("broken", [reason("broken", "revert")])!;
    expect(new RegExp(resilience.messageRegex).test(labMessage)).toBe(false);
  });

  it("uses patterns that also full-match multi-line messages (Allure 2 semantics)", () => {
    for (const category of ALLURE_CATEGORIES) {
      const tag = category.messageRegex.slice(1, category.messageRegex.indexOf("]") + 1).replace(/\\/g, "");
      expect(new RegExp(`^(?:${category.messageRegex})$`).test(`${tag} line one\nline two`), category.name).toBe(true);
    }
  });
});
