/**
 * The canary on the real Argo Rollouts controller of the lab, through the engine, as `chaoslab run`
 * runs it: the suite's canary-rollback and canary-promote scenarios, and a wrong-cause variant whose
 * metrics endpoint is unreachable (the AnalysisRun ends Error and Argo aborts too) — which must be
 * reported failed, never passed. The suite's two deploy into namespaces of their own run (ownNamespace);
 * the wrong-cause variant keeps the shared form in streamforge, where the Rollout's fixed name means no
 * other canary of that form may run meanwhile (the setup refuses a Rollout that is not its own).
 * Needs k6 (built by `make setup`; the lab hands it out as `tools.k6`) and the sim's service proxy.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labFixture } from "../../cluster/testing/lab-fixture.ts";
import { REPO_ROOT } from "../../cluster/images.ts";
import { DEFAULT_CATALOG } from "../../harness/catalog.ts";
import { systemClock } from "../../harness/core/clock.ts";
import { silentLog } from "../../harness/core/context.ts";
import { runScenario } from "../../harness/engine/runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import { createLabPorts } from "../../harness/lab/lab-ports.ts";
import { WRONG_CAUSE } from "../../harness/probes/rollout/rollout-judgement.ts";
import { formatDiagnostic, parseScenario } from "../../harness/scenario/loader.ts";
import { summarizeScenario } from "../../reports/summary.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "canary-lab-"));
});

afterAll(async () => {
  await ports.close();
});

async function run(file: string): Promise<ScenarioResult> {
  const loaded = parseScenario(await fs.readFile(file, "utf8"), file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, { catalog: DEFAULT_CATALOG, lab: fixture.lab, ports, recorders: [], clock: systemClock, journalDir: path.join(workDir, "journal"), log: silentLog });
}

const explain = (result: ScenarioResult) =>
  JSON.stringify({ reasons: result.reasons, setup: result.setup, expectations: result.expectations.map(({ message, verdict }) => ({ verdict, message })) }, null, 2);

interface Judged {
  verdict: string;
  reason: string;
  timing: { revisionToOutcomeMs?: number; updateToOutcomeMs?: number };
  checks: { name: string; ok: boolean; found: string }[];
}

function judgementOf(result: ScenarioResult): Judged {
  return (result.expectations[0]!.evidence as { lastSample: { value: Judged } }).lastSample.value;
}

function k6Note(result: ScenarioResult): string | undefined {
  for (const entry of result.timeline.entries) if (entry.kind === "note" && entry.message.startsWith("k6 thresholds")) return entry.message;
  return undefined;
}

describe("the queue-manager canary on the real Argo Rollouts controller", () => {
  it("a bad release is rolled back because its analysis measured it failing; the time to rollback reaches summary.json", async () => {
    const result = await run(path.join(REPO_ROOT, "scenarios", "canary-rollback.yaml"));
    expect(result.verdict, explain(result)).toBe("passed");
    const judgement = judgementOf(result);
    expect(judgement.checks.filter((check) => !check.ok)).toEqual([]);
    expect(judgement.checks.find((check) => check.name === "failing metric was measured")!.found).toMatch(/v2-bad/);
    expect(judgement.timing.revisionToOutcomeMs).toBeTypeOf("number");
    const summary = summarizeScenario(result);
    expect(summary.recoveries[0]!.mttrMs).toBeTypeOf("number");
    // k6's traffic reached the canary (otherwise the analysis would have had no data) and its summary is attached.
    expect(k6Note(result)).toMatch(/queue_manager_requests_by_version\{version:v2-bad\} = [1-9]/);
  });

  it("the control experiment: a good release passes a measured analysis and becomes stable", async () => {
    const result = await run(path.join(REPO_ROOT, "scenarios", "canary-promote.yaml"));
    expect(result.verdict, explain(result)).toBe("passed");
    const judgement = judgementOf(result);
    expect(judgement.checks.filter((check) => !check.ok)).toEqual([]);
    expect(summarizeScenario(result).recoveries[0]!.mttrMs).toBeTypeOf("number");
    expect(k6Note(result)).toMatch(/k6 thresholds held/);
  });

  it("an abort caused by an unreachable metrics endpoint (AnalysisRun Error) is failed for the wrong cause, never passed", async () => {
    const file = path.join(workDir, "canary-wrong-cause.yaml");
    await fs.writeFile(
      file,
      [
        "apiVersion: chaoslab.streamforge.io/v1alpha1",
        "kind: Scenario",
        "metadata: {name: canary-wrong-cause}",
        "spec:",
        "  timeout: 6m",
        "  safety: {allowedNamespaces: [streamforge]}",
        "  setup:",
        "    - canary:",
        `        manifests: ${path.join(REPO_ROOT, "workloads", "queue-manager", "manifests")}`,
        // Nothing listens on the discard port: every measurement is an Error.
        "        statsUrl: http://127.0.0.1:9",
        '        release: {image: "chaoslab/queue-manager:v2-bad"}',
        "  expect:",
        // Long enough for consecutiveErrorLimit to be exceeded, so the abort has happened when it is judged.
        "    - rollout: {name: queue-manager, services: [queue-manager], expect: rolled-back, within: 100s}",
        "",
      ].join("\n"),
    );
    const result = await run(file);
    expect(result.verdict, explain(result)).toBe("failed");
    const judgement = judgementOf(result);
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toMatch(new RegExp(`^${WRONG_CAUSE}: AnalysisRun \\S+ ended Error`));
    // Argo did abort: the wrong cause is the only thing that stops this from passing.
    expect(judgement.checks.find((check) => check.name === "status.abort")!.ok).toBe(true);
    expect(result.reasons[0]!.message).toContain(WRONG_CAUSE);
  });
});
