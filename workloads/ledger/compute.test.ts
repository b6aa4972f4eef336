import { describe, expect, it } from "vitest";
import { computeLedger, computeLedgerFromRecords, consumedRecord, foldLedgerRecords } from "./compute.ts";
import type { LedgerRecord } from "./ledger-record.ts";
import { RangeSet } from "./range-set.ts";

const seqs = (taskId: string, ...numbers: number[]) => numbers.map((seq) => ({ taskId, seq }));
const span = (taskId: string, first: number, last: number) =>
  Array.from({ length: last - first + 1 }, (_, i) => ({ taskId, seq: first + i }));

function record(overrides: Partial<LedgerRecord>): LedgerRecord {
  return {
    v: 1,
    taskId: "loader-1",
    attempt: 0,
    jobUid: "uid-1",
    jobName: "loader-1",
    writerId: "w1",
    ledgerSeq: 0,
    ts: 1,
    messages: 100,
    acked: [],
    inherited: [],
    sent: [],
    complete: false,
    ...overrides,
  };
}

describe("computeLedger", () => {
  it("reports nothing lost or duplicated when everything acked was read once", () => {
    const summary = computeLedger({ acked: { "loader-1": [[0, 99]] }, consumed: span("loader-1", 0, 99) });
    expect(summary).toMatchObject({ produced: 100, acked: 100, consumed: 100, lost: 0, duplicated: 0, unackedConsumed: 0 });
  });

  it("counts acked-but-unread as lost, with the ranges as evidence", () => {
    const summary = computeLedger({
      acked: { "loader-1": [[0, 99]] },
      consumed: [...span("loader-1", 0, 49), ...span("loader-1", 60, 99)],
    });
    expect(summary.lost).toBe(10);
    expect(summary.tasks["loader-1"]!.lostRanges).toBe("50-59");
  });

  it("counts extra copies as duplicated, separately from lost", () => {
    const summary = computeLedger({
      acked: { "loader-1": [[0, 9]] },
      consumed: [...span("loader-1", 0, 9), ...seqs("loader-1", 3, 3, 7)],
    });
    expect(summary).toMatchObject({ consumed: 10, consumedRecords: 13, duplicated: 3, lost: 0 });
  });

  it("treats read-but-not-acked as produced and unackedConsumed, not as loss", () => {
    const summary = computeLedger({
      acked: { "loader-1": [[0, 9]] },
      sent: { "loader-1": [[0, 11]] },
      consumed: span("loader-1", 0, 12),
    });
    expect(summary).toMatchObject({ produced: 13, acked: 10, consumed: 13, lost: 0, unackedConsumed: 3 });
  });

  it("keeps tasks apart, sums them, and ignores records of tasks outside the scope", () => {
    const summary = computeLedger({
      acked: new Map([
        ["a", RangeSet.fromRanges([[0, 4]])],
        ["b", RangeSet.fromRanges([[0, 4]])],
      ]),
      consumed: [...span("a", 0, 4), ...span("b", 0, 2), ...span("old-run", 0, 99)],
    });
    expect(summary).toMatchObject({ acked: 10, consumed: 8, lost: 2, ignoredRecords: 100 });
    expect(summary.tasks["b"]!.lostRanges).toBe("3-4");
  });

  it("reports everything lost when nothing was consumed", () => {
    const summary = computeLedger({ acked: { a: [[0, 9]] }, consumed: [] });
    expect(summary).toMatchObject({ acked: 10, consumed: 0, lost: 10 });
  });
});

describe("computeLedger: per-key order", () => {
  type Read = { seq: number; writerId?: string; attempt?: number; partition?: number; taskId?: string };
  const read = (defaults: Omit<Read, "seq">, ...seqNumbers: number[]) =>
    seqNumbers.map((seq) => ({ taskId: "loader-1", writerId: "w1", partition: 0, ...defaults, seq }));
  const ledgerOf = (consumed: Iterable<Read & { taskId: string }>, acked: Record<string, [number, number][]> = { "loader-1": [[0, 9]] }) =>
    computeLedger({ acked, consumed });

  it("reports nothing reordered when a writer's records rise in offset order", () => {
    expect(ledgerOf(read({}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9))).toMatchObject({ reordered: 0, lost: 0, duplicated: 0 });
  });

  it("counts first copies read after a higher sequence number of the same writer and partition", () => {
    const summary = ledgerOf(read({}, 0, 1, 4, 5, 2, 3, 6, 7, 8, 9));
    expect(summary).toMatchObject({ reordered: 2, lost: 0, duplicated: 0 });
    expect(summary.tasks["loader-1"]!.reorderedRanges).toBe("2-3");
  });

  it("counts a resent copy as duplicated, never as reordered", () => {
    // A batch resent after a producer-id reset lands twice: 4-5 again after 6.
    const summary = ledgerOf(read({}, 0, 1, 2, 3, 4, 5, 6, 4, 5, 7, 8, 9));
    expect(summary).toMatchObject({ reordered: 0, duplicated: 2, lost: 0 });
  });

  it("does not compare different writers: a replacement filling an earlier writer's gap is in order", () => {
    const consumed = [...read({ writerId: "w1" }, 0, 1, 2, 6, 7, 8, 9), ...read({ writerId: "w2" }, 3, 4, 5)];
    expect(ledgerOf(consumed)).toMatchObject({ reordered: 0, lost: 0 });
  });

  it("does not compare different partitions or different keys", () => {
    const partitions = [...read({ partition: 1 }, 5, 6, 7, 8, 9), ...read({ partition: 0 }, 0, 1, 2, 3, 4)];
    expect(ledgerOf(partitions).reordered).toBe(0);
    const keys = [...read({ taskId: "a" }, 5, 6), ...read({ taskId: "b" }, 0, 1)];
    expect(ledgerOf(keys, { a: [[5, 6]], b: [[0, 1]] })).toMatchObject({ reordered: 0, lost: 0 });
  });

  it("tells writers of older records (no writerId) apart by attempt", () => {
    const consumed = [...read({ writerId: undefined, attempt: 0 }, 0, 1, 7, 8, 9), ...read({ writerId: undefined, attempt: 1 }, 2, 3, 4, 5, 6)];
    expect(ledgerOf(consumed).reordered).toBe(0);
    const sameAttempt = [...read({ writerId: undefined, attempt: 0 }, 0, 1, 7, 8, 9), ...read({ writerId: undefined, attempt: 0 }, 2, 3, 4, 5, 6)];
    expect(ledgerOf(sameAttempt).reordered).toBe(5);
  });

  it("counts an acknowledged record never read as lost, whether in the middle or at the end", () => {
    const summary = ledgerOf(read({}, 0, 1, 2, 4, 5, 6, 7, 8));
    expect(summary).toMatchObject({ lost: 2, reordered: 0, duplicated: 0, consumed: 8 });
    expect(summary.tasks["loader-1"]!.lostRanges).toBe("3,9");
  });

  it("takes writer, attempt and partition from a parsed data record", () => {
    expect(consumedRecord({ taskId: "t", attempt: 1, seq: 3, ts: 1, payload: "", writerId: "w" }, 2)).toEqual({ taskId: "t", seq: 3, attempt: 1, partition: 2, writerId: "w" });
    expect(consumedRecord({ taskId: "t", attempt: 1, seq: 3, ts: 1, payload: "" }, 0)).toEqual({ taskId: "t", seq: 3, attempt: 1, partition: 0 });
  });

  it("skips and counts garbage records instead of throwing", () => {
    const garbage = [null, 7, { taskId: "loader-1" }, { taskId: "loader-1", seq: -1 }, { taskId: "", seq: 1 }, { taskId: "loader-1", seq: 1.5 }, { taskId: "loader-1", seq: "2" }];
    const summary = computeLedger({ acked: { "loader-1": [[0, 1]] }, consumed: [...span("loader-1", 0, 1), ...(garbage as never[])] });
    expect(summary).toMatchObject({ invalidRecords: 7, consumedRecords: 2, lost: 0, reordered: 0 });
  });
});

describe("foldLedgerRecords", () => {
  it("unions every writer's latest and intermediate records, across attempts", () => {
    const records = [
      record({ writerId: "w1", ledgerSeq: 0, acked: [[0, 9]], sent: [[0, 9]] }),
      record({ writerId: "w1", ledgerSeq: 1, acked: [[0, 19]], sent: [[0, 29]] }),
      // The replacement resumed from what it read (0-19) and went on from 20.
      record({ attempt: 1, jobUid: "uid-2", writerId: "w2", ledgerSeq: 0, inherited: [[0, 19]], acked: [[20, 99]], sent: [[20, 99]], complete: true }),
    ];
    const folded = foldLedgerRecords(records).get("loader-1")!;
    expect(folded.acked.toJSON()).toEqual([[0, 99]]);
    expect(folded.sent.toJSON()).toEqual([[0, 99]]);
    expect(folded).toMatchObject({ complete: true, attempts: [0, 1], writers: 2, messages: 100 });
  });

  it("is exact even if earlier attempts' records were compacted away", () => {
    const onlyLatest = [record({ attempt: 2, writerId: "w3", inherited: [[0, 49]], acked: [[50, 99]] })];
    expect(foldLedgerRecords(onlyLatest).get("loader-1")!.acked.count).toBe(100);
  });
});

describe("computeLedgerFromRecords", () => {
  it("puts a task without any ledger record in scope with nothing acked", () => {
    const summary = computeLedgerFromRecords(
      [record({ acked: [[0, 4]], sent: [[0, 4]] })],
      [...span("loader-1", 0, 4), ...span("loader-2", 0, 1)],
      ["loader-1", "loader-2"],
    );
    expect(summary.tasks["loader-2"]).toMatchObject({ acked: 0, consumed: 2, unackedConsumed: 2, lost: 0 });
    expect(summary).toMatchObject({ acked: 5, consumed: 7, lost: 0, ignoredRecords: 0 });
  });
});
