import { describe, expect, it } from "vitest";
import { parseDataRecord } from "./data-record.ts";
import { ackedOf, encodeLedgerRecord, parseLedgerRecord, type LedgerRecord } from "./ledger-record.ts";

const valid: LedgerRecord = {
  v: 1,
  taskId: "loader-1",
  attempt: 1,
  jobUid: "4f1c",
  jobName: "loader-1-r1",
  writerId: "a1b2",
  ledgerSeq: 3,
  ts: 1_700_000_000_000,
  messages: 500,
  acked: [[100, 199]],
  inherited: [[0, 99]],
  sent: [[100, 209]],
  complete: false,
};

describe("ledger records", () => {
  it("round-trips through encode and parse, keyed by task id", () => {
    const { key, value } = encodeLedgerRecord(valid);
    expect(key).toBe("loader-1");
    const parsed = parseLedgerRecord(Buffer.from(value));
    expect(parsed).toEqual({ ok: true, record: valid });
  });

  it("reports what was acknowledged, inherited included", () => {
    expect(ackedOf(valid).toJSON()).toEqual([[0, 199]]);
  });

  it("rejects bad input with a reason instead of throwing", () => {
    expect(parseLedgerRecord(null)).toMatchObject({ ok: false, reason: "empty" });
    expect(parseLedgerRecord("{")).toMatchObject({ ok: false, reason: "not-json" });
    expect(parseLedgerRecord(JSON.stringify({ ...valid, acked: [[5, 4]] }))).toMatchObject({
      ok: false,
      reason: "schema",
      detail: expect.stringContaining("acked"),
    });
    expect(parseLedgerRecord(JSON.stringify({ ...valid, extra: 1 }))).toMatchObject({ ok: false, reason: "schema" });
    expect(parseLedgerRecord("x".repeat(600 * 1024))).toMatchObject({ ok: false, reason: "oversized" });
  });

  it("refuses to encode an invalid record (a writer bug surfaces at the writer)", () => {
    expect(() => encodeLedgerRecord({ ...valid, attempt: -1 })).toThrow();
  });
});

describe("data records", () => {
  it("parses a loader record and rejects malformed ones", () => {
    const record = { taskId: "t", attempt: 0, seq: 5, ts: 1, payload: "p" };
    expect(parseDataRecord(JSON.stringify(record))).toEqual({ ok: true, record });
    expect(parseDataRecord(JSON.stringify({ ...record, seq: -1 }))).toMatchObject({ ok: false, reason: "schema" });
    expect(parseDataRecord(Buffer.alloc(0))).toMatchObject({ ok: false, reason: "empty" });
  });

  it("reads records with and without the writer id (older loaders wrote none)", () => {
    const record = { taskId: "t", attempt: 0, seq: 5, ts: 1, payload: "p", writerId: "a1b2" };
    expect(parseDataRecord(JSON.stringify(record))).toEqual({ ok: true, record });
    expect(parseDataRecord(JSON.stringify({ ...record, writerId: "" }))).toMatchObject({ ok: false, reason: "schema", detail: expect.stringContaining("writerId") });
  });
});
