/**
 * The data contract: topic `loader-data`, key = task id (so a task's records stay in one partition, in
 * order), JSON value `{taskId, attempt, seq, ts, payload, writerId}`. Written by the loader, read by the
 * arango-connector and by the harness's ledger probe. Parsing never throws.
 */
import { z } from "zod";
import { JOB_FIELDS } from "../queue-events/contract.ts";
import { parseJsonRecord, type RecordParseResult } from "../queue-events/json-record.ts";

export const DATA_TOPIC = "loader-data";

/** Payloads are small by design; a huge value is garbage, rejected before JSON.parse. */
export const MAX_DATA_RECORD_BYTES = 1024 * 1024;

export const dataRecordSchema = z
  .object({
    taskId: JOB_FIELDS.taskId,
    attempt: JOB_FIELDS.attempt,
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

/** Parses one record value. Never throws. */
export function parseDataRecord(value: Buffer | string | null | undefined): RecordParseResult<"record", DataRecord> {
  return parseJsonRecord(value, MAX_DATA_RECORD_BYTES, dataRecordSchema, "record");
}

export function encodeDataRecord(record: DataRecord): { key: string; value: string } {
  return { key: record.taskId, value: JSON.stringify(record) };
}
