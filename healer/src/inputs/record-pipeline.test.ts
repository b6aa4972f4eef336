import { describe, expect, it } from "vitest";
import { type ConsumedRecord, type PendingBatch, RecordPipeline } from "./record-pipeline.ts";

function batch(partition: number, offsets: number[], highWatermark = offsets.at(-1)! + 1): PendingBatch {
  return { partition, messages: offsets.map((offset) => ({ offset: String(offset), value: Buffer.from(`r${offset}`) })), receivedMs: 7, highWatermark: String(highWatermark) };
}

/** A pipeline whose drains run only when the test says so. */
function pipeline(maxQueuedRecords = 100) {
  const applied: ConsumedRecord[] = [];
  const lags: Array<[number, number]> = [];
  const scheduled: Array<() => void> = [];
  const records = new RecordPipeline({
    apply: (record) => applied.push(record),
    onLag: (partition, lag) => lags.push([partition, lag]),
    maxQueuedRecords,
    schedule: (drain) => scheduled.push(drain),
  });
  const runScheduled = () => scheduled.splice(0).forEach((drain) => drain());
  return { records, applied, lags, scheduled, runScheduled };
}

describe("RecordPipeline: records applied after eachBatch returns, offsets committed only once applied", () => {
  it("applies queued batches in order on the scheduled drain, one drain for several batches", () => {
    const { records, applied, lags, scheduled, runScheduled } = pipeline();
    void records.push(batch(0, [10, 11]));
    void records.push(batch(1, [5], 9));
    expect(applied).toEqual([]);
    expect(scheduled).toHaveLength(1);
    runScheduled();
    expect(applied.map((record) => `${record.partition}:${record.offset}:${record.value}`)).toEqual(["0:10:r10", "0:11:r11", "1:5:r5"]);
    expect(applied.every((record) => record.receivedMs === 7)).toBe(true);
    expect(lags).toEqual([
      [0, 0],
      [1, 3],
    ]);
  });

  it("commits nothing that is queued and not applied, and each applied offset once", () => {
    const { records, runScheduled } = pipeline();
    void records.push(batch(0, [10, 11]));
    expect(records.uncommitted()).toEqual([]);
    runScheduled();
    // Kafka's committed offset is the next one to read.
    const offsets = records.uncommitted();
    expect(offsets).toEqual([{ partition: 0, offset: "12" }]);
    records.markCommitted(offsets);
    expect(records.uncommitted()).toEqual([]);
    void records.push(batch(0, [12]));
    runScheduled();
    expect(records.uncommitted()).toEqual([{ partition: 0, offset: "13" }]);
  });

  it("holds a push while the queue is full and releases it when the drain has applied the records", async () => {
    const { records, runScheduled } = pipeline(3);
    let released = false;
    void records.push(batch(0, [1, 2]));
    records.push(batch(0, [3, 4])).then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    runScheduled();
    await Promise.resolve();
    expect(released).toBe(true);
  });

  it("discard drops queued records (never applied, never committed) and releases a waiting push", async () => {
    const { records, applied, runScheduled } = pipeline(1);
    let released = false;
    records.push(batch(0, [1, 2])).then(() => (released = true));
    records.discard();
    await Promise.resolve();
    expect(released).toBe(true);
    runScheduled();
    expect(applied).toEqual([]);
    expect(records.uncommitted()).toEqual([]);
  });

  it("after a rebalance forgets the partitions it lost, so their offsets are not committed over the new owner's", () => {
    const { records, runScheduled } = pipeline();
    void records.push(batch(0, [4]));
    void records.push(batch(1, [8]));
    runScheduled();
    records.retainPartitions([1]);
    expect(records.uncommitted()).toEqual([{ partition: 1, offset: "9" }]);
  });

  it("offsets beyond 2^53 stay exact", () => {
    const { records, runScheduled } = pipeline();
    void records.push({ partition: 0, messages: [{ offset: "9007199254740993", value: null }], receivedMs: 0, highWatermark: "9007199254740994" });
    runScheduled();
    const offsets = records.uncommitted();
    expect(offsets).toEqual([{ partition: 0, offset: "9007199254740994" }]);
    records.markCommitted(offsets);
    expect(records.uncommitted()).toEqual([]);
  });
});
