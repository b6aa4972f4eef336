/**
 * `chaoslab nightly` (what `make nightly` and the nightly workflow run): the resilience suite as
 * `chaoslab chaos` runs it, then published with its history (reports/nightly/publish-nightly.ts):
 *
 *   chaos (same code: provider, lab up, deploy, every scenario, summary.json) — or, with --results-from,
 *   a summary.json written earlier (an artifact, a test fixture) → merge into the history of
 *   --publish-dir (+ --history-dir) → Allure report with history, trends.html, summary.md → regressions
 *   first on stdout → with GITHUB_TOKEN and GITHUB_REPOSITORY set, one issue per regressed scenario.
 *
 * The exit code is chaos's (DESIGN.md): 0 all passed, 1 a scenario failed, 2 invalid input, 3 the lab
 * broke or a result was inconclusive. A regression fails the run through its failed verdict, nothing
 * more; a night whose publishing failed exits 3 if it would have exited 0 (infrastructure), never 1.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EXIT_CODES, exitCodeFor } from "../../../reports/results/verdict.ts";
import { loadRun } from "../../../reports/nightly/load-run.ts";
import { publishNightly, type NightlyRun, type PublishDeps } from "../../../reports/nightly/publish-nightly.ts";
import { fetchHttpClient, gitHubTargetFromEnv, openOrUpdateRegressionIssues, type HttpClient } from "../../../reports/nightly/regression-issues.ts";
import { HISTORY_SUBDIR, readRuns } from "../../../reports/nightly/run-history.ts";
import { regressions, scenarioTrends } from "../../../reports/nightly/scenario-trends.ts";
import { SUMMARY_FILE } from "../../../reports/summary.ts";
import type { CommandIo } from "./io.ts";
import { chaosCommand, type ChaosDeps, type ChaosOptions } from "./chaos.ts";

export interface NightlyOptions extends Omit<ChaosOptions, "noReport"> {
  publishDir: string;
  historyDir?: string;
  flakyWindow?: number;
  /** Publish this summary.json (and its scenarios/ beside it) instead of running the suite. */
  resultsFrom?: string;
  runId?: string;
  reportUrl?: string;
}

export interface NightlyDeps extends Omit<ChaosDeps, "render">, PublishDeps {
  /** For regression issues; default: fetch. Tests pass a fake. */
  http?: HttpClient;
  /** The suite; default: chaosCommand (the same code `make chaos` runs). */
  runSuite?(options: ChaosOptions, deps: ChaosDeps, io: CommandIo): Promise<number>;
  /** Where the suite writes its summary (default reports/out/summary.json). */
  summaryFile?: string;
}

/** The summary's generatedAt, or undefined when there is none: tells this run's summary from an earlier one. */
async function summaryStamp(summaryFile: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await fs.readFile(summaryFile, "utf8")) as { generatedAt?: string }).generatedAt;
  } catch {
    return undefined;
  }
}

/** Runs the suite; its summary.json counts only if this run wrote it (a stale one is an earlier night's). */
async function runSuite(options: NightlyOptions, deps: NightlyDeps, io: CommandIo): Promise<NightlyRun | { invalidInput: true }> {
  const summaryFile = deps.summaryFile ?? SUMMARY_FILE;
  const before = await summaryStamp(summaryFile);
  const errors: string[] = [];
  // chaos says why the lab broke only on stderr; the last error line becomes the history's reason.
  const teeIo: CommandIo = {
    ...io,
    err: (text: string) => {
      if (text.startsWith("error:")) errors.push(text.slice("error:".length).trim());
      io.err(text);
    },
  };
  const code = await (deps.runSuite ?? chaosCommand)({ ...options, noReport: true }, deps, teeIo);
  if (code === EXIT_CODES.invalidInput) return { invalidInput: true };
  const after = await summaryStamp(summaryFile);
  if (after === undefined || after === before) {
    return { kind: "lab-broken", why: errors.at(-1) ?? `the suite exited ${code} without writing ${summaryFile}`, exitCode: code === EXIT_CODES.passed ? EXIT_CODES.brokenOrInconclusive : code };
  }
  const { summary, results } = await loadRun(summaryFile);
  return { kind: "ran", summary, results };
}

export async function nightlyCommand(options: NightlyOptions, deps: NightlyDeps, io: CommandIo): Promise<number> {
  let run: NightlyRun;
  if (options.resultsFrom) {
    try {
      const { summary, results } = await loadRun(path.resolve(options.resultsFrom));
      run = { kind: "ran", summary, results };
    } catch (error) {
      io.err(`error: ${(error as Error).message}`);
      return EXIT_CODES.invalidInput;
    }
  } else {
    const suite = await runSuite(options, deps, io);
    if ("invalidInput" in suite) return EXIT_CODES.invalidInput;
    run = suite;
  }
  // Recomputed from the verdicts rather than read from the file: the contract is the verdicts'.
  const code = run.kind === "ran" ? exitCodeFor(run.summary.scenarios.map((scenario) => scenario.verdict)) : run.exitCode;

  let published;
  try {
    published = await publishNightly(run, options, deps);
  } catch (error) {
    io.err(`error: publishing the nightly report into ${options.publishDir} failed: ${(error as Error).message}`);
    return code === EXIT_CODES.passed ? EXIT_CODES.brokenOrInconclusive : code;
  }
  io.out(published.summaryMarkdown);
  if (published.reportError) io.err(`warning: the Allure report was not rendered: ${published.reportError} (summary, trends and history were published)`);
  io.out(`published: ${published.files.report ?? "(no report)"}, ${published.files.trends}, ${published.files.summary} (${published.runs.length} run(s) in the history)`);

  const target = gitHubTargetFromEnv(deps.env ?? process.env);
  if (target && published.regressions.length > 0) {
    try {
      for (const outcome of await openOrUpdateRegressionIssues(published.regressions, published.tonight, target, deps.http ?? fetchHttpClient, options.reportUrl)) {
        io.out(`issue #${outcome.number} ${outcome.action} for the regression of ${outcome.scenario}`);
      }
    } catch (error) {
      io.err(`warning: could not open or update the regression issues: ${(error as Error).message}`);
    }
  }
  io.out(`exit code ${code} (${published.tonight.labBroken ? "lab broken" : code === 0 ? "all passed" : code === 1 ? "a scenario failed" : "broken or inconclusive"})`);
  return code;
}

/**
 * `chaoslab nightly-issues --publish-dir <dir>`: the regression issues of the last run recorded in
 * <dir>/history/, apart from the run itself — so that CI gives `issues: write` to a job that only
 * does this, not to the job that runs the suite. Needs GITHUB_TOKEN and GITHUB_REPOSITORY.
 */
export async function nightlyIssuesCommand(options: { publishDir: string }, deps: { http?: HttpClient; env?: Readonly<Record<string, string | undefined>> }, io: CommandIo): Promise<number> {
  const target = gitHubTargetFromEnv(deps.env ?? process.env);
  if (!target) {
    io.err("error: set GITHUB_TOKEN (with issues: write) and GITHUB_REPOSITORY (owner/name) to open regression issues");
    return EXIT_CODES.invalidInput;
  }
  const runs = await readRuns(path.join(path.resolve(options.publishDir), HISTORY_SUBDIR));
  const tonight = runs.at(-1);
  if (!tonight) {
    io.err(`error: no run recorded in ${options.publishDir}/${HISTORY_SUBDIR}/runs.jsonl: run \`chaoslab nightly --publish-dir ${options.publishDir}\` first`);
    return EXIT_CODES.invalidInput;
  }
  try {
    const outcomes = await openOrUpdateRegressionIssues(regressions(scenarioTrends(runs)), tonight, target, deps.http ?? fetchHttpClient);
    for (const outcome of outcomes) io.out(`issue #${outcome.number} ${outcome.action} for the regression of ${outcome.scenario}`);
    if (outcomes.length === 0) io.out(`no regression in run ${tonight.runId}: no issue to open`);
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return EXIT_CODES.brokenOrInconclusive;
  }
}
