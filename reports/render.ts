/**
 * Renders `allure-results/` (scenarios from `chaoslab run`, tests from allure-vitest) into one
 * self-contained HTML file, `reports/out/html/index.html`, with Allure Report 3 (the pinned `allure`
 * package: pure JS, no Java) and its Awesome plugin in `singleFile` mode — open it from disk or attach it
 * to a CI run; nothing to serve.
 *
 * Why the CLI and not `@allurereport/core`: the CLI is the package's public interface and the only
 * pinned dependency; core is a transitive package whose API may change under us. It costs ~1 s of
 * start-up per render.
 *
 * What the config adds (Allure 3 reads none of these from the results directory):
 *  - categories: ALLURE_CATEGORIES (resilience failures vs inconclusive vs leaks vs lab breakage);
 *  - history: `historyPath` (one JSON line per render) feeds the trend charts and each test's History tab.
 *    It lives in reports/out/history/ (gitignored), not in git: it is per machine/CI runner, it grows
 *    on every render, and committed it would conflict on every branch. CI keeps it by caching that
 *    directory; `CHAOSLAB_REPORT_HISTORY` points elsewhere. Re-rendering the same results does not add
 *    a second history point (the results' fingerprint is remembered next to the history file).
 *  - environment: a chaoslab run writes environment.properties (provider, component versions of the lab
 *    it ran on); when the results have none (only vitest ran), the pinned versions of
 *    cluster/versions.json are written instead, marked as such.
 *
 * Allure 3.18's Awesome template always embeds Google Analytics (gtag.js, sent the report's UUID on
 * open; `analyticsEnable: true` is hard-coded). A lab report must open offline and tell nobody: the two
 * script elements are cut out of index.html after generation (render.test.ts checks none remain).
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { $ } from "zx";
import { DEFAULT_ALLURE_RESULTS } from "./allure-results.ts";
import { ALLURE_CATEGORIES } from "./allure-categories.ts";

const REPORTS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_HTML_DIR = path.join(REPORTS_DIR, "out", "html");
export const DEFAULT_HISTORY_FILE = path.join(REPORTS_DIR, "out", "history", "history.jsonl");
const VERSIONS_FILE = path.join(REPORTS_DIR, "..", "cluster", "versions.json");
const REPORT_NAME = "StreamForge Chaos Lab";
/** Enough runs for a useful trend; each line holds every test of a run, so the file stays bounded. */
const HISTORY_LIMIT = 100;

export interface RenderOptions {
  /** Default: `reports/out/allure-results/` (the scenarios' results; see allure-results.ts). */
  resultsDir?: string;
  /** Default: `reports/out/html/`. Replaced once the new report is complete (only if it holds a report or nothing). */
  outDir?: string;
  /** Default: `$CHAOSLAB_REPORT_HISTORY`, else `reports/out/history/history.jsonl`. */
  historyFile?: string;
  reportName?: string;
  /** Bound on the whole `allure generate` (default 3 minutes). */
  timeoutMs?: number;
}

export interface RenderedReport {
  htmlDir: string;
  indexFile: string;
  historyFile: string;
  /** False when these exact results were rendered before (no duplicate trend point). */
  historyAppended: boolean;
  /** Result files rendered (scenarios and tests). */
  results: number;
  /** Things that did not stop the render but need a look (printed by `chaoslab report`). */
  warnings: string[];
}

/** The input cannot be rendered (no results): the CLI exits 2 on it. */
export class ReportInputError extends Error {
  override name = "ReportInputError";
}

function allureCli(): string {
  // `allure` exports only its library entry (dist/index.js); the CLI sits beside dist/.
  const entry = createRequire(import.meta.url).resolve("allure");
  return path.join(path.dirname(entry), "..", "cli.js");
}

async function resultFiles(resultsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(resultsDir);
  } catch {
    throw new ReportInputError(`no Allure results at ${resultsDir}: run scenarios (\`chaoslab run --label smoke\`) or tests (\`make test-unit\`) first`);
  }
  const results = names.filter((name) => name.endsWith("-result.json")).sort();
  if (results.length === 0) throw new ReportInputError(`${resultsDir} holds no *-result.json: run scenarios (\`chaoslab run --label smoke\`) or tests (\`make test-unit\`) first`);
  return results;
}

/** The environment section when no chaoslab run wrote one: the pinned versions, said to be pinned. */
async function ensureEnvironment(resultsDir: string): Promise<void> {
  const file = path.join(resultsDir, "environment.properties");
  if (await fs.stat(file).then(() => true, () => false)) return;
  const versions = JSON.parse(await fs.readFile(VERSIONS_FILE, "utf8")) as Record<string, string>;
  const lines = [
    "provider=none (no chaoslab run in these results)",
    `node=${process.version}`,
    ...Object.entries(versions)
      .filter(([key]) => !key.startsWith("$"))
      .map(([key, value]) => `${key}=${value} (pinned)`),
  ];
  await fs.writeFile(file, `${lines.join("\n")}\n`);
}

const ANALYTICS_START = '<script async src="https://www.googletagmanager.com/gtag/js';

/** Cuts the gtag.js loader and its inline config script; returns undefined when there was none. */
export function stripAnalytics(html: string): string | undefined {
  const start = html.indexOf(ANALYTICS_START);
  if (start === -1) return undefined;
  const loaderEnd = html.indexOf("</script>", start);
  const configStart = html.indexOf("<script>", loaderEnd);
  const configEnd = html.indexOf("</script>", configStart);
  const config = html.slice(configStart, configEnd);
  // Only the inline script that configures gtag goes with it; anything else stays.
  const end = configStart !== -1 && configEnd !== -1 && /^<script>\s*window\.dataLayer/.test(config) && config.includes("gtag(") ? configEnd + "</script>".length : loaderEnd + "</script>".length;
  return html.slice(0, start) + html.slice(end);
}

/** Refuses to replace a directory that is not a report (a mistyped --out must not delete someone's files). */
async function checkOutDir(outDir: string): Promise<void> {
  const names = await fs.readdir(outDir).catch(() => undefined);
  if (names && names.length > 0 && !names.includes("index.html")) {
    throw new ReportInputError(`${outDir} is not empty and holds no index.html: not overwriting it; choose an empty or new directory`);
  }
}

export async function renderReport(options: RenderOptions = {}): Promise<RenderedReport> {
  const resultsDir = path.resolve(options.resultsDir ?? DEFAULT_ALLURE_RESULTS);
  const htmlDir = path.resolve(options.outDir ?? DEFAULT_HTML_DIR);
  const historyFile = path.resolve(options.historyFile ?? process.env.CHAOSLAB_REPORT_HISTORY ?? DEFAULT_HISTORY_FILE);
  const timeoutMs = options.timeoutMs ?? 180_000;

  const results = await resultFiles(resultsDir);
  await ensureEnvironment(resultsDir);
  await checkOutDir(htmlDir);
  await fs.mkdir(path.dirname(historyFile), { recursive: true });

  // Result file names carry a fresh UUID per test run, so the sorted list identifies these results.
  const fingerprint = createHash("sha256").update(results.join("\n")).digest("hex");
  const markerFile = `${historyFile}.last-rendered`;
  const lastRendered = await fs.readFile(markerFile, "utf8").then((text) => text.trim(), () => "");
  const historyAppended = lastRendered !== fingerprint;

  // Rendered beside the target and swapped in when complete: a failed render keeps the last report.
  const staging = `${htmlDir}.rendering`;
  await fs.rm(staging, { recursive: true, force: true });
  const warnings: string[] = [];
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-allurerc-"));
  try {
    const config = {
      name: options.reportName ?? REPORT_NAME,
      output: staging,
      historyPath: historyFile,
      historyLimit: HISTORY_LIMIT,
      appendHistory: historyAppended,
      categories: ALLURE_CATEGORIES.map(({ name, matchedStatuses, messageRegex }) => ({ name, matchedStatuses, messageRegex })),
      plugins: {
        awesome: { options: { singleFile: true, reportName: options.reportName ?? REPORT_NAME, reportLanguage: "en" } },
      },
    };
    const configFile = path.join(configDir, "allurerc.json");
    await fs.writeFile(configFile, JSON.stringify(config, null, 2));
    const output = await $({ quiet: true, nothrow: true, timeout: timeoutMs, cwd: configDir })`${process.execPath} ${allureCli()} generate --config ${configFile} ${resultsDir}`;
    if (output.exitCode !== 0) {
      const said = `${output.stderr}\n${output.stdout}`.trim().split("\n").slice(-15).join("\n");
      const why = output.exitCode === null ? `did not finish within ${timeoutMs / 1000}s (signal ${output.signal})` : `exited ${output.exitCode}`;
      throw new Error(`allure generate ${why} rendering ${resultsDir} into ${staging}:\n${said || "(no output)"} (the previous report in ${htmlDir} is untouched)`);
    }
    const stagedIndex = path.join(staging, "index.html");
    if (!(await fs.stat(stagedIndex).then((stat) => stat.size > 0, () => false))) {
      throw new Error(`allure generate succeeded but wrote no ${stagedIndex}: check the awesome plugin's options in reports/render.ts`);
    }
    const html = await fs.readFile(stagedIndex, "utf8");
    const stripped = stripAnalytics(html);
    if (stripped !== undefined) await fs.writeFile(stagedIndex, stripped);
    if ((stripped ?? html).includes("googletagmanager")) warnings.push(`${htmlDir}/index.html still loads Google Analytics: the Allure template changed; update stripAnalytics in reports/render.ts`);
    await fs.rm(htmlDir, { recursive: true, force: true });
    await fs.rename(staging, htmlDir);
  } finally {
    await fs.rm(configDir, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
  }

  const indexFile = path.join(htmlDir, "index.html");
  await fs.writeFile(markerFile, `${fingerprint}\n`);
  return { htmlDir, indexFile, historyFile, historyAppended, results: results.length, warnings };
}
