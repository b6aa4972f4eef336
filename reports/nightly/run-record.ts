/**
 * One nightly run as the history keeps it: per scenario the verdict, the recovery times and the checks
 * held, plus the run's resilience score. Derived from the run's summary.json (reports/summary.ts) only,
 * so a run can be recorded again from its artifact alone.
 *
 * The history key of a scenario is its `metadata.name` (specs/scenarios.md: "history and trends key on it").
 */
import { exitCodeFor, type Verdict } from "../results/verdict.ts";
import type { RunSummary, ScenarioSummary } from "../summary.ts";
import { runScore, weightOf } from "./resilience-score.ts";

export const RUN_RECORD_VERSION = 1;

export interface ScenarioRecord {
  verdict: Verdict;
  category: string | null;
  /** The longest recovery of the scenario (its expectations' MTTRs; null when none recovered or none is timed). */
  mttrMs: number | null;
  /** MTTR of the expectation that waits for a rollback (a Rollout expected `rolled-back`), when there is one. */
  timeToRollbackMs: number | null;
  held: number;
  checks: number;
  weight: number;
  /** The first reason of a non-passing verdict, for the summary. */
  reason: string | null;
}

export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  /** Unique per run: the CI run id when there is one, else the summary's generatedAt. */
  runId: string;
  /** When the suite finished (summary.json's generatedAt). */
  at: string;
  provider: string;
  /** Set when the lab broke before any scenario ran (no summary.json of this run). */
  labBroken: string | null;
  exitCode: number;
  score: number | null;
  scenarios: Record<string, ScenarioRecord>;
}

const ROLLBACK = /rolled-back|rollback/i;

function recordScenario(scenario: ScenarioSummary): ScenarioRecord {
  const timed = scenario.recoveries.filter((recovery) => recovery.mttrMs !== null);
  const rollback = timed.find((recovery) => {
    const index = Number(recovery.expectation.match(/^expect\[(\d+)\]/)?.[1]);
    const expectation = scenario.expectations.find((candidate) => candidate.index === index);
    return expectation !== undefined && ROLLBACK.test(`${expectation.kind} ${expectation.description}`);
  });
  const checks = [...scenario.expectations, ...scenario.steadyState].filter((check) => check.verdict === "passed" || check.verdict === "failed");
  const firstReason = scenario.verdict === "passed" ? undefined : scenario.reasons[0];
  return {
    verdict: scenario.verdict,
    category: scenario.category,
    mttrMs: timed.length > 0 ? Math.max(...timed.map((recovery) => recovery.mttrMs!)) : null,
    timeToRollbackMs: rollback?.mttrMs ?? null,
    held: checks.filter((check) => check.verdict === "passed").length,
    checks: checks.length,
    weight: weightOf(scenario.labels),
    reason: firstReason ? `${firstReason.source}: ${firstReason.message}` : null,
  };
}

export function recordRun(summary: RunSummary, options: { runId?: string } = {}): RunRecord {
  const scenarios = Object.fromEntries(summary.scenarios.map((scenario) => [scenario.name, recordScenario(scenario)]));
  return {
    version: RUN_RECORD_VERSION,
    runId: options.runId ?? summary.generatedAt,
    at: summary.generatedAt,
    provider: summary.scenarios[0]?.fingerprint.provider ?? "unknown",
    labBroken: null,
    // From the verdicts, as the CLI decides it, not from the file's claim.
    exitCode: exitCodeFor(summary.scenarios.map((scenario) => scenario.verdict)),
    score: runScore(Object.values(scenarios)),
    scenarios,
  };
}

/** A night on which the lab never came up: it stays in the history so the gap shows. */
export function recordBrokenLab(why: string, options: { runId?: string; at?: string; provider?: string; exitCode: number }): RunRecord {
  const at = options.at ?? new Date().toISOString();
  return { version: RUN_RECORD_VERSION, runId: options.runId ?? at, at, provider: options.provider ?? "unknown", labBroken: why, exitCode: options.exitCode, score: null, scenarios: {} };
}
