import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Connector, type BatchMessage } from "./connector.ts";
import { SinkFile } from "./sink-file.ts";

const silent = pino({ level: "silent" });
const record = (seq: number, taskId = "loader-1") => Buffer.from(JSON.stringify({ taskId, attempt: 0, seq, ts: 1, payload: "x" }));
const batch = (firstOffset: number, values: (Buffer | null)[]): BatchMessage[] =>
  values.map((value, i) => ({ offset: String(firstOffset + i), value }));

describe("Connector with a sink file", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "connector-test-"));
    file = path.join(dir, "nested", "sink.jsonl");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes one line per record and returns the offset to commit", async () => {
    const sink = await SinkFile.open(file);
    const connector = new Connector(sink, silent, () => 42);
    const commit = await connector.handleBatch(0, batch(10, [record(0), record(1), record(2)]));
    await sink.close();
    expect(commit).toBe("13");
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toEqual([0, 1, 2].map((seq) => ({ taskId: "loader-1", attempt: 0, seq, partition: 0, offset: String(10 + seq), duplicate: false, consumedAt: 42 })));
  });

  it("counts the same (task, seq) at a new offset as a duplicate, and still writes it", async () => {
    const sink = await SinkFile.open(file);
    const connector = new Connector(sink, silent);
    await connector.handleBatch(0, batch(0, [record(0), record(1)]));
    await connector.handleBatch(0, batch(2, [record(1), record(2), record(2, "loader-2")]));
    expect(connector.counters).toMatchObject({ consumed: 5, written: 5, duplicates: 1, redelivered: 0 });
    expect(sink.summary).toMatchObject({ written: 5, duplicates: 1, tasks: 2 });
    await sink.close();
  });

  it("skips a redelivered batch (died between sink write and commit) instead of writing it twice", async () => {
    const first = await SinkFile.open(file);
    await new Connector(first, silent).handleBatch(3, batch(100, [record(0), record(1)]));
    await first.close();

    const reopened = await SinkFile.open(file);
    expect(reopened.summary).toMatchObject({ written: 2, duplicates: 0 });
    const connector = new Connector(reopened, silent);
    const commit = await connector.handleBatch(3, batch(100, [record(0), record(1), record(2)]));
    expect(commit).toBe("103");
    expect(connector.counters).toMatchObject({ consumed: 3, written: 1, redelivered: 2, duplicates: 0 });
    await reopened.close();
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(3);
  });

  it("counts duplicates across restarts from the file", async () => {
    const first = await SinkFile.open(file);
    await new Connector(first, silent).handleBatch(0, batch(0, [record(0)]));
    await first.close();
    const reopened = await SinkFile.open(file);
    const connector = new Connector(reopened, silent);
    await connector.handleBatch(0, batch(1, [record(0)]));
    expect(connector.counters.duplicates).toBe(1);
    await reopened.close();
  });

  it("skips and counts records that do not parse, and a torn last line in the file", async () => {
    const sink = await SinkFile.open(file);
    const connector = new Connector(sink, silent);
    const commit = await connector.handleBatch(1, batch(0, [Buffer.from("{not json"), null, Buffer.from('{"taskId":"t"}'), record(5)]));
    expect(commit).toBe("4");
    expect(connector.counters).toMatchObject({ consumed: 4, invalid: 3, written: 1 });
    await sink.close();
    await writeFile(file, `${await readFile(file, "utf8")}{"taskId":"loader-1","att`);
    const reopened = await SinkFile.open(file);
    expect(reopened.summary).toMatchObject({ written: 1, unreadableLines: 1 });
    await reopened.close();
  });
});
