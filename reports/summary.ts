/**
 * The machine-readable resilience summary (`reports/out/summary.json`, DESIGN.md "Results"): per
 * scenario the verdict and why, each fault's injectedAt / effectConfirmedAt / revertedAt, each
 * recovery's detectedAt / recoveredAt / MTTR, the Kafka ledger, leaks, the seed and the environment
 * fingerprint. Times are ISO-8601 strings; durations are milliseconds (`*Ms`).
 *
 * Written by `chaoslab run`; read by CI, trend tooling and people. Its version changes when a field
 * changes meaning.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioResult } from "./results/scenario-result.ts";
import { exitCodeForResults, VERDICTS, type Verdict, type VerdictReason } from "./results/verdict.ts";
import type { LedgerCounts } from "../workloads/ledger/compute.ts";
import type { EnvironmentFingerprint } from "./results/fingerprint.ts";
import { categoryOf } from "./allure-categories.ts";

export const SUMMARY_VERSION = 1;
export const REPORTS_OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), "out");
export const SUMMARY_FILE = path.join(REPORTS_OUT, "summary.json");

const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());

export interface ScenarioSummary {
  name: string;
  title: string | null;
  file: string;
  labels: string[];
  verdict: Verdict;
  /** The report category (Allure): resilience failure, inconclusive, leak, lab breakage. */
  category: string | null;
  reasons: VerdictReason[];
  runId: string;
  seed: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  faults: {
    name: string;
    type: string;
    outcome: string;
    targets: string[];
    injectedAt: string | null;
    effectConfirmedAt: string | null;
    revertedAt: string | null;
    /** effectConfirmedAt − injectedAt. */
    timeToEffectMs: number | null;
    evidence: string | null;
  }[];
  recoveries: {
    expectation: string;
    verdict: Verdict;
    reference: string;
    detectedAt: string | null;
    recoveredAt: string | null;
    mttrMs: number | null;
    /** Who restored service, when the expectation can tell (`job-controller`, `healer`). */
    restoredBy: string | null;
  }[];
  expectations: { index: number; kind: string; description: string; verdict: Verdict; message: string }[];
  steadyState: { when: string; probe: string; verdict: string; message: string }[];
  ledger: LedgerCounts | null;
  leaks: { what: string; fix: string }[];
  journalKept: string | null;
  fingerprint: EnvironmentFingerprint;
}

export interface RunSummary {
  version: typeof SUMMARY_VERSION;
  generatedAt: string;
  exitCode: number;
  totals: Record<Verdict, number> & { scenarios: number };
  scenarios: ScenarioSummary[];
}

export function summarizeScenario(result: ScenarioResult): ScenarioSummary {
  return {
    name: result.name,
    title: result.title ?? null,
    file: result.file,
    labels: result.labels,
    verdict: result.verdict,
    category: categoryOf(result.verdict, result.reasons)?.name ?? null,
    reasons: result.reasons,
    runId: result.runId,
    seed: result.seed,
    startedAt: iso(result.startedAt)!,
    finishedAt: iso(result.finishedAt)!,
    durationMs: result.finishedAt - result.startedAt,
    faults: result.faults.map((fault) => ({
      name: fault.name,
      type: fault.type,
      outcome: fault.verdict ?? "not-run",
      targets: fault.plan?.targets.map((target) => target.id) ?? [],
      injectedAt: iso(fault.injectedAt),
      effectConfirmedAt: iso(fault.effectConfirmedAt),
      revertedAt: iso(fault.revertedAt),
      timeToEffectMs: fault.injectedAt !== undefined && fault.effectConfirmedAt !== undefined ? fault.effectConfirmedAt - fault.injectedAt : null,
      evidence: fault.evidence?.summary ?? fault.message ?? null,
    })),
    recoveries: result.expectations
      .filter((expectation) => expectation.recovery)
      .map((expectation) => ({
        expectation: `expect[${expectation.index}] ${expectation.kind}`,
        verdict: expectation.verdict,
        reference: iso(expectation.recovery!.reference)!,
        detectedAt: iso(expectation.recovery!.detectedAt),
        recoveredAt: iso(expectation.recovery!.recoveredAt),
        mttrMs: expectation.recovery!.mttrMs ?? null,
        restoredBy: expectation.recovery!.restoredBy ?? null,
      })),
    expectations: result.expectations.map(({ index, kind, description, verdict, message }) => ({ index, kind, description, verdict, message })),
    steadyState: result.steadyState.map(({ when, probe, verdict, message }) => ({ when, probe, verdict, message })),
    ledger: result.ledger ?? null,
    leaks: result.leaks,
    journalKept: result.reverts.journalKept ?? null,
    fingerprint: result.fingerprint,
  };
}

export function summarize(results: readonly ScenarioResult[], now = Date.now()): RunSummary {
  const totals = Object.fromEntries(VERDICTS.map((verdict) => [verdict, results.filter((result) => result.verdict === verdict).length])) as Record<Verdict, number>;
  return {
    version: SUMMARY_VERSION,
    generatedAt: new Date(now).toISOString(),
    exitCode: exitCodeForResults(results),
    totals: { ...totals, scenarios: results.length },
    scenarios: results.map(summarizeScenario),
  };
}

/** Writes summary.json and, per scenario, the full result (timeline, plans, evidence) next to it. */
export async function writeRunOutputs(results: readonly ScenarioResult[], outDir = REPORTS_OUT): Promise<{ summaryFile: string; detailFiles: string[] }> {
  await fs.mkdir(path.join(outDir, "scenarios"), { recursive: true });
  const summaryFile = path.join(outDir, "summary.json");
  await fs.writeFile(summaryFile, `${JSON.stringify(summarize(results), null, 2)}\n`);
  const detailFiles: string[] = [];
  for (const result of results) {
    const file = path.join(outDir, "scenarios", `${result.name}.json`);
    await fs.writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    detailFiles.push(file);
  }
  return { summaryFile, detailFiles };
}
