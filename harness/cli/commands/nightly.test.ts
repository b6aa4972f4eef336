/**
 * `chaoslab nightly` around a fake suite (what chaos would have written) and a fake renderer: the exit
 * code keeps chaos's contract, a lab that never came up is recorded as such (and a stale summary.json
 * of an earlier night is not taken for tonight's), and regressions open issues only with a token.
 * The real rendering is exercised by reports/nightly/nightly-acceptance.test.ts.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RenderOptions, RenderedReport } from "../../../reports/render.ts";
import { readRuns } from "../../../reports/nightly/run-history.ts";
import type { HttpClient } from "../../../reports/nightly/regression-issues.ts";
import { writeNight, type ForcedVerdicts } from "../../../reports/nightly/testing/nightly-fixtures.ts";
import type { CommandIo } from "./io.ts";
import { nightlyCommand, nightlyIssuesCommand, type NightlyDeps } from "./nightly.ts";

function captureIo(): CommandIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (text) => out_.push(text), err: (text) => err_.push(text) };
}

async function fakeRender(options: RenderOptions): Promise<RenderedReport> {
  await fs.mkdir(options.outDir!, { recursive: true });
  const indexFile = path.join(options.outDir!, "index.html");
  await fs.writeFile(indexFile, "<html>report</html>");
  return { htmlDir: options.outDir!, indexFile, historyFile: options.historyFile!, historyAppended: true, results: 3, warnings: [] };
}

describe("chaoslab nightly", () => {
  let root: string;
  let publishDir: string;
  let summaryFile: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "nightly-command-"));
    publishDir = path.join(root, "site");
    summaryFile = path.join(root, "out", "summary.json");
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /** A suite that writes night `night` where chaos writes, and exits as chaos would. */
  const suiteWriting = (night: number, forced: ForcedVerdicts, exitCode: number): NightlyDeps["runSuite"] => async () => {
    await writeNight(path.dirname(summaryFile), night, forced);
    return exitCode;
  };
  const run = (deps: NightlyDeps, io = captureIo()) =>
    nightlyCommand({ suiteDir: "scenarios", parallel: 1, publishDir, flakyWindow: 5 }, { summaryFile, renderReport: fakeRender, env: {}, ...deps }, io).then((code) => ({ code, io }));

  it("keeps chaos's exit code and publishes the run into the history", async () => {
    const first = await run({ runSuite: suiteWriting(0, { "broker-crash": "passed" }, 3) });
    expect(first.code).toBe(3); // kafka-latency is broken in the fixtures
    const second = await run({ runSuite: suiteWriting(1, { "loader-pod-delete": "failed", "broker-crash": "passed" }, 1) });
    expect(second.code).toBe(1);
    expect(second.io.out_[0]!.split("\n")[0]).toMatch(/^🔴 REGRESSION: loader-pod-delete/);
    expect((await readRuns(path.join(publishDir, "history"))).length).toBe(2);
    expect(JSON.parse(await fs.readFile(path.join(publishDir, "nightly.json"), "utf8"))).toMatchObject({ night: "resilience-failure", regressions: ["loader-pod-delete"], runsInHistory: 2 });
    expect(await fs.readFile(path.join(publishDir, "index.html"), "utf8")).toBe("<html>report</html>");
  });

  it("recomputes the exit code from the verdicts, not from what the file claims", async () => {
    const code = await run({ runSuite: async () => {
      await writeNight(path.dirname(summaryFile), 0, { "loader-pod-delete": "failed" });
      const summary = JSON.parse(await fs.readFile(summaryFile, "utf8"));
      await fs.writeFile(summaryFile, JSON.stringify({ ...summary, exitCode: 0 }));
      return 0;
    } });
    expect(code.code).toBe(1);
  });

  it("records a night whose lab never came up, with chaos's reason, and exits 3", async () => {
    // A summary.json of an earlier night is there: it must not pass for tonight's.
    await writeNight(path.dirname(summaryFile), 0, {});
    const { code, io } = await run({ runSuite: async (_options, _deps, suiteIo) => {
      suiteIo.err("error: the lab did not come up: kind create cluster: exit status 1");
      return 3;
    } });
    expect(code).toBe(3);
    const [tonight] = await readRuns(path.join(publishDir, "history"));
    expect(tonight).toMatchObject({ labBroken: "the lab did not come up: kind create cluster: exit status 1", scenarios: {}, score: null });
    expect(io.out_[0]).toContain("**Lab broken** — no scenario ran");
    expect(await fs.readFile(path.join(publishDir, "index.html"), "utf8")).toContain("The lab broke");
  });

  it("stops on invalid input (exit 2) without touching the history", async () => {
    expect((await run({ runSuite: async () => 2 })).code).toBe(2);
    await expect(fs.stat(publishDir)).rejects.toThrow();
  });

  it("publishes an earlier run with --results-from, and refuses a missing one with exit 2", async () => {
    const from = await writeNight(path.join(root, "artifact"), 0, {});
    const io = captureIo();
    expect(await nightlyCommand({ suiteDir: "scenarios", parallel: 1, publishDir, resultsFrom: from }, { renderReport: fakeRender, env: {} }, io)).toBe(1);
    expect(await nightlyCommand({ suiteDir: "scenarios", parallel: 1, publishDir, resultsFrom: path.join(root, "nope.json") }, { renderReport: fakeRender, env: {} }, io)).toBe(2);
    expect(io.err_.at(-1)).toMatch(/cannot read the run summary .*nope\.json/);
  });

  it("opens regression issues only when the environment gives a token", async () => {
    const calls: string[] = [];
    const http: HttpClient = {
      async request(method, url) {
        calls.push(`${method} ${url}`);
        if (url.includes("/labels/")) return { status: 200, body: {} };
        return method === "GET" ? { status: 200, body: [] } : { status: 201, body: { number: 5 } };
      },
    };
    await run({ runSuite: suiteWriting(0, {}, 1), http });
    const withoutToken = await run({ runSuite: suiteWriting(1, { "loader-pod-delete": "failed" }, 1), http });
    expect(calls).toEqual([]);
    expect(withoutToken.code).toBe(1);

    const io = captureIo();
    expect(await nightlyIssuesCommand({ publishDir }, { http, env: { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "o/r" } }, io)).toBe(0);
    expect(calls).toEqual([
      "GET https://api.github.com/repos/o/r/labels/nightly-regression",
      "GET https://api.github.com/repos/o/r/issues?state=open&labels=nightly-regression&per_page=100",
      "POST https://api.github.com/repos/o/r/issues",
    ]);
    expect(io.out_).toEqual(["issue #5 opened for the regression of loader-pod-delete"]);
    expect(await nightlyIssuesCommand({ publishDir }, { http, env: {} }, io)).toBe(2);
  });
});
