import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lastDurations, longestFirst } from "./run-order.ts";

describe("the order side-by-side scenarios start in", () => {
  it("is longest first by the last run's duration; never-run ones first; ties keep the given order", () => {
    const last = new Map([["short", 30], ["long", 97], ["mid", 49], ["mid-too", 49]]);
    expect(longestFirst(["short", "mid", "fresh", "long", "mid-too"], (name) => last.get(name))).toEqual(["fresh", "long", "mid", "mid-too", "short"]);
    expect(longestFirst(["b", "a"], () => undefined)).toEqual(["b", "a"]);
  });

  it("reads each scenario's last duration from its detail file; a missing or garbled file is unknown", async () => {
    const outDir = await fs.mkdtemp(path.join(os.tmpdir(), "run-order-"));
    await fs.mkdir(path.join(outDir, "scenarios"));
    await fs.writeFile(path.join(outDir, "scenarios", "kafka-latency.json"), JSON.stringify({ startedAt: 1_000, finishedAt: 98_000 }));
    await fs.writeFile(path.join(outDir, "scenarios", "garbled.json"), "{not json");
    await fs.writeFile(path.join(outDir, "scenarios", "no-times.json"), JSON.stringify({ name: "no-times" }));
    expect(await lastDurations(outDir, ["kafka-latency", "garbled", "no-times", "never-run"])).toEqual(new Map([["kafka-latency", 97_000]]));
  });
});
