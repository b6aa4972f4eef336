/**
 * The ledger contract: topic `loader-ledger`, key = task id, JSON value. After every acknowledged batch
 * a loader writes one record with everything it has acknowledged so far, so the *latest* record of a
 * writer is enough and a lost or failed ledger write is repaired by the next one.
 *
 * Who reads it:
 * - a loader at start (a Job's pod retry or the healer's replacement) to resume the task,
 * - the harness's `kafka.ledger` probe, which folds all records (see `compute.ts`) and compares them
 *   with what was consumed from `loader-data` — on any cluster, without reading pod logs.
 *
 * Ranges are `RangeSet` JSON (`[[first, last], ...]`, inclusive). Parsing never throws.
 */
import { z } from "zod";
import { JOB_FIELDS } from "../queue-events/contract.ts";
import { parseJsonRecord, type RecordParseResult } from "../queue-events/json-record.ts";
import { RangeSet, type SeqRange } from "./range-set.ts";

export const LEDGER_TOPIC = "loader-ledger";
export const LEDGER_VERSION = 1;

/**
 * A loader acknowledges in order, so it writes one range, a few after a rewind or resumed gaps.
 * 10,000 ranges (~200 KB) means something is badly wrong; reject rather than parse forever.
 */
export const MAX_LEDGER_RANGES = 10_000;
export const MAX_LEDGER_RECORD_BYTES = 512 * 1024;

export const seqRangesSchema = z
  .array(z.tuple([z.number().int().min(0), z.number().int().min(0)]))
  .max(MAX_LEDGER_RANGES)
  .refine((ranges) => ranges.every(([first, last]) => first <= last), {
    message: "every range must be [first, last] with first <= last",
  });

export const ledgerRecordSchema = z
  .object({
    v: z.literal(LEDGER_VERSION),
    taskId: JOB_FIELDS.taskId,
    /** 0 for the original Job, N for the healer's N-th replacement (the queue-events attempt). */
    attempt: JOB_FIELDS.attempt,
    jobUid: JOB_FIELDS.jobUid,
    jobName: JOB_FIELDS.jobName,
    /**
     * One loader process. Two pods of one attempt (a Job's own pod retry) have different writer ids,
     * so "latest record per writer" is well defined.
     */
    writerId: z.string().min(1).max(64),
    /** Per-writer counter: the record with the highest ledgerSeq of a writer is its latest. */
    ledgerSeq: z.number().int().min(0),
    /** Producer's wall clock, ms since epoch (information only). */
    ts: z.number().int().min(0),
    /** Size of the task: sequence numbers 0 .. messages-1. */
    messages: z.number().int().min(0),
    /** Acknowledged (acks=all) by this writer so far. */
    acked: seqRangesSchema,
    /**
     * Acknowledged by earlier writers of the task, as read from this topic when this writer resumed.
     * Repeating it keeps the latest record of the latest writer complete even if the topic is compacted
     * by key (which would drop the earlier attempts' records).
     */
    inherited: seqRangesSchema,
    /** Handed to the producer by this writer (acked or not): the "produced" side of the ledger. */
    sent: seqRangesSchema,
    /** True once inherited ∪ acked covers every sequence number of the task. */
    complete: z.boolean(),
  })
  .strict();

export type LedgerRecord = z.infer<typeof ledgerRecordSchema>;

/** Parses one record value. Never throws. */
export function parseLedgerRecord(value: Buffer | string | null | undefined): RecordParseResult<"record", LedgerRecord> {
  return parseJsonRecord(value, MAX_LEDGER_RECORD_BYTES, ledgerRecordSchema, "record");
}

/** Serialises a record for producing; validates so a writer bug surfaces at the writer. */
export function encodeLedgerRecord(record: LedgerRecord): { key: string; value: string } {
  return { key: record.taskId, value: JSON.stringify(ledgerRecordSchema.parse(record)) };
}

/** Everything a record says was acknowledged (by this writer or, as it read, by earlier ones). */
export function ackedOf(record: LedgerRecord): RangeSet {
  return RangeSet.fromRanges([...record.acked, ...record.inherited] as SeqRange[]);
}
