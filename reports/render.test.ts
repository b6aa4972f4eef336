import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import versions from "../cluster/versions.json" with { type: "json" };
import { writeAllureResults } from "./allure-results.ts";
import { reportCommand } from "../harness/cli/commands/report.ts";
import { renderReport, ReportInputError, stripAnalytics } from "./render.ts";
import { fixtureResults } from "./testing/report-fixtures.ts";

const RENDER_TIMEOUT = 180_000;

async function workspace(): Promise<{ results: string; out: string; history: string }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "render-"));
  return { results: path.join(root, "allure-results"), out: path.join(root, "html"), history: path.join(root, "history", "history.jsonl") };
}

/** A data file the single-file report embeds (`d("widgets/x.json", "<base64>")`), parsed. */
function embedded(html: string, name: string): unknown {
  const match = html.match(new RegExp(`d\\("${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}",\\s*"([^"]*)"`));
  if (!match) throw new Error(`the report embeds no ${name}`);
  return JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8"));
}

const historyLines = async (file: string) => (await fs.readFile(file, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { testResults: Record<string, { name: string; status: string }> });

describe("renderReport", () => {
  it(
    "renders the results into one self-contained index.html, with our categories, the environment and no analytics",
    async () => {
      const dirs = await workspace();
      await writeAllureResults(fixtureResults(), dirs.results);
      const report = await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      expect(report).toMatchObject({ htmlDir: dirs.out, indexFile: path.join(dirs.out, "index.html"), results: 3, historyAppended: true, warnings: [] });
      const html = await fs.readFile(report.indexFile, "utf8");
      expect(html).not.toContain("googletagmanager");
      expect(html).not.toMatch(/<script[^>]+src="https?:/);

      const categories = embedded(html, "widgets/categories.json") as { nodes: Record<string, { type: string; name: string; statistic?: Record<string, number> }> };
      const byName = Object.fromEntries(Object.values(categories.nodes).filter((node) => node.type === "category").map((node) => [node.name, node.statistic]));
      expect(byName).toEqual({ "Resilience failures": { total: 1, failed: 1 }, "Lab breakage": { total: 1, broken: 1 } });

      const environment = embedded(html, "widgets/allure_environment.json") as { name: string; values: string[] }[];
      expect(environment).toEqual(expect.arrayContaining([{ name: "provider", values: ["sim"] }, { name: "kafka", values: ["4.3.1"] }, { name: "argoRollouts", values: ["v1.9.1"] }]));

      const summary = JSON.parse(await fs.readFile(path.join(dirs.out, "summary.json"), "utf8")) as { stats: Record<string, number> };
      expect(summary.stats).toMatchObject({ total: 3, failed: 1, broken: 1, passed: 1 });
    },
    RENDER_TIMEOUT,
  );

  it(
    "keeps one history point per run: a re-render adds none, a new run adds one under the same test keys",
    async () => {
      const dirs = await workspace();
      await writeAllureResults(fixtureResults(), dirs.results);
      await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      expect(await historyLines(dirs.history)).toHaveLength(1);

      const again = await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      expect(again.historyAppended).toBe(false);
      expect(await historyLines(dirs.history)).toHaveLength(1);

      // A new run: other runIds and seeds, same scenarios. Their trend must continue, not restart.
      const rerun = fixtureResults(Date.UTC(2025, 10, 25, 9, 30, 0)).map((result) => ({ ...result, runId: `${result.runId}-2`, seed: result.seed + 1 }));
      await writeAllureResults(rerun, dirs.results);
      const third = await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      expect(third.historyAppended).toBe(true);
      const lines = await historyLines(dirs.history);
      expect(lines).toHaveLength(2);
      expect(Object.keys(lines[1]!.testResults).sort()).toEqual(Object.keys(lines[0]!.testResults).sort());
      expect(Object.values(lines[1]!.testResults).map((test) => test.status).sort()).toEqual(["broken", "failed", "passed"]);
    },
    RENDER_TIMEOUT,
  );

  it(
    "falls back to the pinned versions for the environment when no chaoslab run wrote one",
    async () => {
      const dirs = await workspace();
      await writeAllureResults(fixtureResults().slice(0, 1), dirs.results);
      await fs.rm(path.join(dirs.results, "environment.properties"));
      const report = await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      const environment = embedded(await fs.readFile(report.indexFile, "utf8"), "widgets/allure_environment.json") as { name: string; values: string[] }[];
      expect(environment).toEqual(expect.arrayContaining([{ name: "provider", values: ["none (no chaoslab run in these results)"] }, { name: "kubernetes", values: [`${versions.kubernetes} (pinned)`] }]));
    },
    RENDER_TIMEOUT,
  );

  it("refuses to render nothing, and to wipe a directory that is not a report", async () => {
    const dirs = await workspace();
    await expect(renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history })).rejects.toThrow(ReportInputError);
    await fs.mkdir(dirs.results, { recursive: true });
    await expect(renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history })).rejects.toThrow(/holds no \*-result\.json/);

    await writeAllureResults(fixtureResults().slice(0, 1), dirs.results);
    await fs.mkdir(dirs.out, { recursive: true });
    await fs.writeFile(path.join(dirs.out, "notes.txt"), "mine");
    await expect(renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history })).rejects.toThrow(/not overwriting/);
    expect(await fs.readFile(path.join(dirs.out, "notes.txt"), "utf8")).toBe("mine");
  });

  it(
    "keeps the last report when a render fails, and says so",
    async () => {
      const dirs = await workspace();
      await writeAllureResults(fixtureResults().slice(0, 1), dirs.results);
      const first = await renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history });
      const before = await fs.readFile(first.indexFile, "utf8");
      await expect(renderReport({ resultsDir: dirs.results, outDir: dirs.out, historyFile: dirs.history, timeoutMs: 50 })).rejects.toThrow(/did not finish within 0.05s.*previous report .* is untouched/s);
      expect(await fs.readFile(first.indexFile, "utf8")).toBe(before);
      expect(await fs.readdir(path.dirname(dirs.out))).not.toContain("html.rendering");
    },
    RENDER_TIMEOUT,
  );

  it("cuts exactly the gtag loader and its config script", () => {
    const html = `<body><script>keep()</script>\n<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>\n    <script>\n  window.dataLayer = window.dataLayer || [];\n  function gtag(){}\n  gtag('js', new Date());\n</script>\n<script async>data()</script></body>`;
    expect(stripAnalytics(html)).toBe(`<body><script>keep()</script>\n\n<script async>data()</script></body>`);
    expect(stripAnalytics("<body></body>")).toBeUndefined();
  });
});

describe("chaoslab report", () => {
  const capture = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (text: string) => lines.out.push(text), err: (text: string) => lines.err.push(text) } };
  };

  it("exits 2 with what to do when there is nothing to render", async () => {
    const dirs = await workspace();
    const { lines, io } = capture();
    expect(await reportCommand({ results: dirs.results, out: dirs.out, history: dirs.history }, io)).toBe(2);
    expect(lines.err.join("\n")).toMatch(/no Allure results at .*: run scenarios \(`chaoslab run --label smoke`\) or tests/);
  });

  it("prints where the report is and exits 0; 3 when rendering fails", async () => {
    const { lines, io } = capture();
    const rendered = { htmlDir: "/r/html", indexFile: "/r/html/index.html", historyFile: "/r/h.jsonl", historyAppended: true, results: 3, warnings: [] };
    expect(await reportCommand({}, io, async () => rendered)).toBe(0);
    expect(lines.out.join("\n")).toContain("open:   file:///r/html/index.html");
    expect(await reportCommand({}, io, async () => Promise.reject(new Error("allure generate exited 1")))).toBe(3);
    expect(lines.err.at(-1)).toBe("error: allure generate exited 1");
  });
});
