import { describe, expect, it } from "vitest";
import { computeLedger, computeLedgerFromRecords, foldLedgerRecords } from "./compute.ts";
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
