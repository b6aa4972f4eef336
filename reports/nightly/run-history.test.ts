import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordRun } from "./run-record.ts";
import { allureHistoryFileIn, mergeAllureHistory, mergeRuns, readRuns, RUNS_FILE, writeRuns } from "./run-history.ts";
import { nightSummary } from "./testing/nightly-fixtures.ts";

const night = (n: number) => recordRun(nightSummary(n));

describe("the nightly history", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "nightly-history-"));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("merges runs of several sources once each, oldest first", () => {
    const [a, b, c] = [night(0), night(1), night(2)];
    const merged = mergeRuns([[c, a], [b, a], [c]]);
    expect(merged.map((run) => run.runId)).toEqual([a.runId, b.runId, c.runId]);
  });

  it("is idempotent: merging the same history again adds nothing", () => {
    const runs = [night(0), night(1)];
    expect(mergeRuns([runs, runs, mergeRuns([runs])])).toEqual(runs);
  });

  it("keeps the newest runs when over the limit", () => {
    const runs = [night(0), night(1), night(2)];
    expect(mergeRuns([runs], 2).map((run) => run.runId)).toEqual([runs[1]!.runId, runs[2]!.runId]);
  });

  it("round-trips through runs.jsonl, and an empty directory is an empty history", async () => {
    expect(await readRuns(dir)).toEqual([]);
    const runs = [night(0), night(1)];
    await writeRuns(dir, runs);
    expect(await readRuns(dir)).toEqual(runs);
  });

  it("names the file and line of a damaged history", async () => {
    await fs.writeFile(path.join(dir, RUNS_FILE), `${JSON.stringify(night(0))}\n{"runId": \n`);
    await expect(readRuns(dir)).rejects.toThrow(new RegExp(`${RUNS_FILE}:2: not a JSON line`));
  });

  it("merges Allure's history files by entry uuid, oldest first", async () => {
    const fetched = path.join(dir, "fetched");
    const local = path.join(dir, "local");
    await fs.mkdir(fetched);
    await fs.mkdir(local);
    const entry = (uuid: string, timestamp: number) => JSON.stringify({ uuid, name: "StreamForge Chaos Lab", timestamp, knownTestCaseIds: [], testResults: {}, metrics: {}, url: "" });
    await fs.writeFile(allureHistoryFileIn(fetched), `${entry("a", 1)}\n${entry("b", 2)}\n`);
    await fs.writeFile(allureHistoryFileIn(local), `${entry("c", 3)}\n${entry("b", 2)}\n`);
    expect(await mergeAllureHistory(allureHistoryFileIn(local), allureHistoryFileIn(fetched))).toBe(3);
    const uuids = (await fs.readFile(allureHistoryFileIn(local), "utf8")).trim().split("\n").map((line) => (JSON.parse(line) as { uuid: string }).uuid);
    expect(uuids).toEqual(["a", "b", "c"]);
    expect(await mergeAllureHistory(allureHistoryFileIn(local), allureHistoryFileIn(fetched))).toBe(3);
  });
});
