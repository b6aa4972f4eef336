/**
 * Publishes one nightly run into a directory that is served as it is (GitHub Pages):
 *
 *   record the run (run-record.ts) → merge it into the history (run-history.ts; earlier nights from
 *   --history-dir and from the directory itself) → trends, regressions, fixes, flaky (scenario-trends.ts)
 *   → Allure results of the run, marked with that news (allure-nightly-marks.ts) → the Allure report,
 *   rendered by reports/render.ts with the merged Allure history → trends.html, summary.md, nightly.json.
 *
 *   <publish>/index.html        the Allure report (single file) of the last run, with its history
 *   <publish>/trends.html       score, verdicts and MTTR over the runs
 *   <publish>/summary.md        the summary; regressions and fixes first
 *   <publish>/nightly.json      the same as data (what CI reads: kind of night, regressions)
 *   <publish>/history/          runs.jsonl and Allure's history.jsonl: what the next night merges
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ScenarioResult } from "../results/scenario-result.ts";
import { writeAllureResults } from "../allure-results.ts";
import { renderReport, type RenderedReport, type RenderOptions } from "../render.ts";
import type { RunSummary } from "../summary.ts";
import { addScoreToEnvironment, markAllureResults } from "./allure-nightly-marks.ts";
import { nightVerdict, renderNightlySummary } from "./nightly-summary.ts";
import { allureHistoryFileIn, HISTORY_SUBDIR, mergeAllureHistory, mergeRuns, readRuns, RUN_HISTORY_LIMIT, writeRuns } from "./run-history.ts";
import { recordBrokenLab, recordRun, type RunRecord } from "./run-record.ts";
import { DEFAULT_FLAKY_WINDOW, fixes, regressions, scenarioTrends, type ScenarioTrend } from "./scenario-trends.ts";
import { renderTrendsPage } from "./trends-page.ts";
import { escapeXml } from "./trend-svg.ts";

export type NightlyRun =
  | { kind: "ran"; summary: RunSummary; results: readonly ScenarioResult[] }
  /** The lab never came up (or the suite's workloads did not deploy): no scenario ran. */
  | { kind: "lab-broken"; why: string; exitCode: number; provider?: string };

export interface PublishOptions {
  publishDir: string;
  /** The previous deployment's history/ (fetched by CI); merged with publishDir/history/. */
  historyDir?: string;
  flakyWindow?: number;
  /** Unique per run (CI: run id and attempt); default: the summary's generatedAt. */
  runId?: string;
  reportUrl?: string;
}

export interface PublishDeps {
  renderReport?(options: RenderOptions): Promise<RenderedReport>;
}

export interface PublishedNightly {
  tonight: RunRecord;
  runs: RunRecord[];
  trends: ScenarioTrend[];
  regressions: ScenarioTrend[];
  fixes: ScenarioTrend[];
  summaryMarkdown: string;
  files: { summary: string; data: string; trends: string; report: string | null; runs: string };
  /** Why the Allure report was not rendered (the rest was published). */
  reportError: string | null;
}

export async function publishNightly(run: NightlyRun, options: PublishOptions, deps: PublishDeps = {}): Promise<PublishedNightly> {
  const publishDir = path.resolve(options.publishDir);
  const historyDir = path.join(publishDir, HISTORY_SUBDIR);
  const flakyWindow = options.flakyWindow ?? DEFAULT_FLAKY_WINDOW;
  await fs.mkdir(historyDir, { recursive: true });

  const fetched = options.historyDir && path.resolve(options.historyDir) !== historyDir ? path.resolve(options.historyDir) : undefined;
  const earlier = mergeRuns([fetched ? await readRuns(fetched) : [], await readRuns(historyDir)]);
  if (fetched) await mergeAllureHistory(allureHistoryFileIn(historyDir), allureHistoryFileIn(fetched));

  const tonight = run.kind === "ran" ? recordRun(run.summary, { runId: options.runId }) : recordBrokenLab(run.why, { runId: options.runId, exitCode: run.exitCode, provider: run.provider });
  // Tonight is last whatever its clock says: trends compare it with the runs before it.
  const runs = [...mergeRuns([earlier.filter((record) => record.runId !== tonight.runId)], RUN_HISTORY_LIMIT - 1), tonight];
  const runsFile = await writeRuns(historyDir, runs);
  const trends = scenarioTrends(runs, flakyWindow);

  const indexFile = path.join(publishDir, "index.html");
  let reportError: string | null = null;
  let report: string | null = null;
  if (run.kind === "ran" && run.results.length > 0) {
    try {
      report = await renderMarkedReport(run.results, trends, runs, publishDir, deps);
    } catch (error) {
      reportError = (error as Error).message;
    }
  } else {
    await fs.writeFile(indexFile, brokenLabPage(tonight));
    report = indexFile;
  }

  const summaryMarkdown = renderNightlySummary({ runs, trends, flakyWindow, reportUrl: options.reportUrl });
  const files = {
    summary: path.join(publishDir, "summary.md"),
    data: path.join(publishDir, "nightly.json"),
    trends: path.join(publishDir, "trends.html"),
    report,
    runs: runsFile,
  };
  await fs.writeFile(files.summary, summaryMarkdown);
  await fs.writeFile(files.trends, renderTrendsPage(runs, trends, flakyWindow));
  const regressed = regressions(trends);
  const fixed = fixes(trends);
  await fs.writeFile(
    files.data,
    `${JSON.stringify(
      {
        runId: tonight.runId,
        at: tonight.at,
        night: nightVerdict(tonight).kind,
        exitCode: tonight.exitCode,
        score: tonight.score,
        regressions: regressed.map((trend) => trend.name),
        fixes: fixed.map((trend) => trend.name),
        flaky: trends.filter((trend) => trend.flaky).map((trend) => trend.name),
        runsInHistory: runs.length,
        reportError,
      },
      null,
      2,
    )}\n`,
  );
  return { tonight, runs, trends, regressions: regressed, fixes: fixed, summaryMarkdown, files, reportError };
}

/** Allure results in a scratch directory, marked, rendered there, and index.html moved into place. */
async function renderMarkedReport(results: readonly ScenarioResult[], trends: readonly ScenarioTrend[], runs: readonly RunRecord[], publishDir: string, deps: PublishDeps): Promise<string> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-nightly-"));
  try {
    const resultsDir = await writeAllureResults(results, path.join(scratch, "allure-results"));
    await markAllureResults(resultsDir, trends, runs);
    await addScoreToEnvironment(resultsDir, runs);
    // Rendered apart: renderReport replaces its output directory, and the publish directory holds the history.
    const rendered = await (deps.renderReport ?? renderReport)({ resultsDir, outDir: path.join(scratch, "html"), historyFile: allureHistoryFileIn(path.join(publishDir, HISTORY_SUBDIR)) });
    const indexFile = path.join(publishDir, "index.html");
    await fs.copyFile(rendered.indexFile, indexFile);
    return indexFile;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

function brokenLabPage(tonight: RunRecord): string {
  const why = escapeXml(tonight.labBroken ?? "");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>StreamForge Chaos Lab — lab broken</title></head>
<body style="font-family:sans-serif;margin:24px"><h1>The lab broke on ${tonight.at}: no scenario ran</h1><p>${why}</p>
<p>This is infrastructure, not a resilience result. <a href="trends.html">Trends of earlier runs</a> · <a href="summary.md">summary</a></p></body></html>
`;
}
