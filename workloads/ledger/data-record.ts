/**
 * The data contract: topic `loader-data`, key = task id (so a task's records stay in one partition, in
 * order), JSON value `{taskId, attempt, seq, ts, payload, writerId}`. Written by the loader, read by the
 * arango-connector and by the harness's ledger probe. Parsing never throws.
 */
import { z } from "zod";

export const DATA_TOPIC = "loader-data";

/** Payloads are small by design; a huge value is garbage, rejected before JSON.parse. */
export const MAX_DATA_RECORD_BYTES = 1024 * 1024;

export const dataRecordSchema = z
  .object({
    taskId: z.string().min(1).max(253),
    attempt: z.number().int().min(0),
    /** Task-wide sequence number, 0 .. messages-1; a resumed attempt continues the numbering. */
    seq: z.number().int().min(0),
    /** Producer's wall clock, ms since epoch. */
    ts: z.number().int().min(0),
    payload: z.string(),
    /**
     * The loader process (`LedgerRecord.writerId`): Kafka orders records per producer, so the ledger's
     * order check compares a writer's records only with its own. Optional: older records lack it.
     */
    writerId: z.string().min(1).max(64).optional(),
  })
  .strict();

export type DataRecord = z.infer<typeof dataRecordSchema>;

export type DataParseResult =
  | { ok: true; record: DataRecord }
  | { ok: false; reason: "empty" | "oversized" | "not-json" | "schema"; detail: string };

export function parseDataRecord(value: Buffer | string | null | undefined): DataParseResult {
  if (value === null || value === undefined || value.length === 0) {
    return { ok: false, reason: "empty", detail: "record has no value" };
  }
  const byteLength = typeof value === "string" ? Buffer.byteLength(value) : value.length;
  if (byteLength > MAX_DATA_RECORD_BYTES) {
    return { ok: false, reason: "oversized", detail: `${byteLength} bytes > ${MAX_DATA_RECORD_BYTES}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
  } catch (error) {
    return { ok: false, reason: "not-json", detail: (error as Error).message };
  }
  const parsed = dataRecordSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: "schema", detail: `${first?.path.join(".") || "(root)"}: ${first?.message}` };
  }
  return { ok: true, record: parsed.data };
}

export function encodeDataRecord(record: DataRecord): { key: string; value: string } {
  return { key: record.taskId, value: JSON.stringify(record) };
}
