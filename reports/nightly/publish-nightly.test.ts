/**
 * Publishing into a directory the way CI does it: the runner's publish dir starts empty and the history
 * comes from the previous deployment (--history-dir). The Allure rendering is faked here (the acceptance
 * test renders for real); the Allure results it is given are real, marked ones.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RenderOptions, RenderedReport } from "../render.ts";
import { publishNightly, type NightlyRun } from "./publish-nightly.ts";
import { allureHistoryFileIn, readRuns } from "./run-history.ts";
import { nightResults, nightSummary, type ForcedVerdicts } from "./testing/nightly-fixtures.ts";

interface AllureResult {
  status: string;
  statusDetails?: { flaky?: boolean };
  labels: { name: string; value: string }[];
  description: string;
  attachments: { name: string; type: string }[];
}

describe("publishing a night", () => {
  let root: string;
  /** What the renderer was given, per render: the Allure results by scenario, and the history file. */
  const rendered: { results: Map<string, AllureResult>; historyFile: string; environment: string }[] = [];

  async function fakeRender(options: RenderOptions): Promise<RenderedReport> {
    const results = new Map<string, AllureResult>();
    for (const name of (await fs.readdir(options.resultsDir!)).filter((file) => file.endsWith("-result.json"))) {
      const result = JSON.parse(await fs.readFile(path.join(options.resultsDir!, name), "utf8")) as AllureResult;
      results.set(result.labels.find((label) => label.name === "subSuite")!.value, result);
    }
    rendered.push({ results, historyFile: options.historyFile!, environment: await fs.readFile(path.join(options.resultsDir!, "environment.properties"), "utf8") });
    // Allure appends one line per render to its history file.
    await fs.appendFile(options.historyFile!, `${JSON.stringify({ uuid: `render-${rendered.length}`, timestamp: rendered.length })}\n`);
    await fs.mkdir(options.outDir!, { recursive: true });
    await fs.writeFile(path.join(options.outDir!, "index.html"), `<html>render ${rendered.length}</html>`);
    return { htmlDir: options.outDir!, indexFile: path.join(options.outDir!, "index.html"), historyFile: options.historyFile!, historyAppended: true, results: results.size, warnings: [] };
  }

  const night = (n: number, forced: ForcedVerdicts = {}): NightlyRun => ({ kind: "ran", summary: nightSummary(n, forced), results: nightResults(n, forced) });

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "publish-nightly-"));
    rendered.length = 0;
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("continues the previous deployment's history in a fresh publish directory", async () => {
    const lastNight = path.join(root, "deployed");
    await publishNightly(night(0), { publishDir: lastNight, runId: "100-1" }, { renderReport: fakeRender });
    const tonight = path.join(root, "runner");
    const published = await publishNightly(night(1, { "loader-pod-delete": "failed" }), { publishDir: tonight, historyDir: path.join(lastNight, "history"), runId: "101-1" }, { renderReport: fakeRender });

    expect((await readRuns(path.join(tonight, "history"))).map((run) => run.runId)).toEqual(["100-1", "101-1"]);
    expect(published.regressions.map((trend) => trend.name)).toEqual(["loader-pod-delete"]);
    // Allure's history: last night's line was merged in before tonight's render appended its own.
    const allureLines = (await fs.readFile(allureHistoryFileIn(path.join(tonight, "history")), "utf8")).trim().split("\n");
    expect(allureLines.map((line) => (JSON.parse(line) as { uuid: string }).uuid)).toEqual(["render-1", "render-2"]);
    expect(rendered[1]!.historyFile).toBe(allureHistoryFileIn(path.join(tonight, "history")));
    expect(await fs.readFile(path.join(tonight, "index.html"), "utf8")).toBe("<html>render 2</html>");
  });

  it("replaces, not repeats, a run published again under the same run id (a re-run CI step)", async () => {
    const site = path.join(root, "site");
    await publishNightly(night(0), { publishDir: site, runId: "100-1" }, { renderReport: fakeRender });
    await publishNightly(night(0), { publishDir: site, historyDir: path.join(site, "history"), runId: "100-1" }, { renderReport: fakeRender });
    expect((await readRuns(path.join(site, "history"))).map((run) => run.runId)).toEqual(["100-1"]);
  });

  it("marks the Allure results with the news, and never changes a status", async () => {
    const site = path.join(root, "site");
    await publishNightly(night(0), { publishDir: site, runId: "1" }, { renderReport: fakeRender });
    await publishNightly(night(1, { "broker-crash": "passed" }), { publishDir: site, runId: "2" }, { renderReport: fakeRender });
    await publishNightly(night(2), { publishDir: site, runId: "3" }, { renderReport: fakeRender });

    // broker-crash: failed, passed, failed — a regression tonight, and flaky. It stays failed.
    const brokerCrash = rendered[2]!.results.get("broker-crash")!;
    expect(brokerCrash.status).toBe("failed");
    expect(brokerCrash.statusDetails?.flaky).toBe(true);
    expect(brokerCrash.labels.filter((label) => label.name === "tag").map((label) => label.value)).toEqual(expect.arrayContaining(["regression", "flaky"]));
    expect(brokerCrash.description.split("\n\n")[0]).toBe("**Nightly: REGRESSION** — passed in the previous run, failed tonight.");
    expect(brokerCrash.attachments[0]).toMatchObject({ name: "nightly history", type: "image/svg+xml" });
    // Unchanged scenarios get the history picture, no news.
    const loader = rendered[2]!.results.get("loader-pod-delete")!;
    expect(loader.description).not.toMatch(/Nightly:/);
    expect(loader.labels.map((label) => label.value)).not.toContain("flaky");
    expect(rendered[2]!.environment).toMatch(/resilience score trend=92\.9 -> 100\.0 -> 92\.9/);
  });

  it("publishes a night whose lab broke: a page that says so, the history kept, no render", async () => {
    const site = path.join(root, "site");
    await publishNightly(night(0), { publishDir: site, runId: "1" }, { renderReport: fakeRender });
    const published = await publishNightly({ kind: "lab-broken", why: "kind create cluster failed", exitCode: 3 }, { publishDir: site, runId: "2" }, { renderReport: fakeRender });
    expect(rendered).toHaveLength(1);
    expect(await fs.readFile(path.join(site, "index.html"), "utf8")).toContain("kind create cluster failed");
    expect(published.summaryMarkdown).toContain("**Lab broken** — no scenario ran: kind create cluster failed");
    expect(JSON.parse(await fs.readFile(path.join(site, "nightly.json"), "utf8"))).toMatchObject({ night: "lab-broken", exitCode: 3, runsInHistory: 2 });
  });

  it("still publishes summary, trends and history when the rendering fails, and says why", async () => {
    const published = await publishNightly(night(0), { publishDir: path.join(root, "site") }, { renderReport: async () => { throw new Error("allure generate exited 1"); } });
    expect(published.reportError).toBe("allure generate exited 1");
    expect(published.files.report).toBeNull();
    await expect(fs.stat(published.files.summary)).resolves.toBeTruthy();
    await expect(fs.stat(published.files.trends)).resolves.toBeTruthy();
  });
});
