/**
 * Nights of the nightly suite for tests, without a lab: the report fixtures' three scenarios
 * (reports/testing/report-fixtures.ts: loader-pod-delete passed, broker-crash failed, kafka-latency
 * broken), one day apart, with verdicts forced where a test needs a regression or a fix:
 *  - forced `failed`: the scenario's last expectation fails (as a lost record would), and says it was forced;
 *  - forced `passed`: every failed check passes and the failure reasons go.
 * Recovery times grow by 10% a night, so MTTR trends have a slope to show.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ScenarioResult } from "../../results/scenario-result.ts";
import { summarize, type RunSummary } from "../../summary.ts";
import { FIXTURE_T0, fixtureResults } from "../../testing/report-fixtures.ts";

export const DAY_MS = 86_400_000;
export type ForcedVerdicts = Partial<Record<string, "passed" | "failed">>;

function forceFailed(result: ScenarioResult): void {
  const last = result.expectations.at(-1)!;
  last.verdict = "failed";
  last.message = `forced to fail by the test fixture (night regression): ${last.description}`;
  result.reasons = [...result.reasons.filter((reason) => reason.verdict !== "passed"), { verdict: "failed", source: `expect[${last.index}] ${last.kind}`, message: last.message }];
  result.verdict = "failed";
}

function forcePassed(result: ScenarioResult): void {
  for (const check of [...result.expectations, ...result.steadyState]) if (check.verdict === "failed") check.verdict = "passed";
  result.reasons = result.reasons.filter((reason) => reason.verdict !== "failed");
  result.verdict = result.reasons.length === 0 ? "passed" : result.verdict;
}

/** The results of night `night` (0, 1, ...), scenarios with forced verdicts as given. */
export function nightResults(night: number, forced: ForcedVerdicts = {}): ScenarioResult[] {
  const results = fixtureResults(FIXTURE_T0 + night * DAY_MS);
  for (const result of results) {
    for (const expectation of result.expectations) {
      if (expectation.recovery?.mttrMs !== undefined) expectation.recovery.mttrMs = Math.round(expectation.recovery.mttrMs * (1 + 0.1 * night));
    }
    if (forced[result.name] === "failed") forceFailed(result);
    if (forced[result.name] === "passed") forcePassed(result);
  }
  return results;
}

/** The summary.json of that night, generated at the end of its last scenario. */
export function nightSummary(night: number, forced: ForcedVerdicts = {}): RunSummary {
  const results = nightResults(night, forced);
  return summarize(results, Math.max(...results.map((result) => result.finishedAt)));
}

/** summary.json and scenarios/<name>.json of that night in `dir`, as `chaoslab run` writes them. */
export async function writeNight(dir: string, night: number, forced: ForcedVerdicts = {}): Promise<string> {
  const results = nightResults(night, forced);
  await fs.mkdir(path.join(dir, "scenarios"), { recursive: true });
  const summaryFile = path.join(dir, "summary.json");
  await fs.writeFile(summaryFile, `${JSON.stringify(summarize(results, Math.max(...results.map((result) => result.finishedAt))), null, 2)}\n`);
  for (const result of results) await fs.writeFile(path.join(dir, "scenarios", `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return summaryFile;
}
