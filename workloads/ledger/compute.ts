/**
 * The Kafka ledger arithmetic of the `kafka.ledger` probe: what the loaders say was acknowledged
 * (acks=all) versus what a consumer of `loader-data` actually read.
 *
 * "Acknowledged" means a sequence number some loader's ledger record lists in `acked` or `inherited`:
 * a loader writes that record only after the brokers acknowledged the batch (acks=all), so an ack the
 * loader got but never recorded (it died in between) is not known here and shows up as unackedConsumed.
 *
 * Definitions (per task, summed over the tasks in scope):
 * - produced:   distinct sequence numbers known to have been produced: sent ∪ acked ∪ consumed
 *               (anything consumed was produced, even by a writer whose ledger never got through)
 * - acked:      distinct sequence numbers acknowledged by the brokers
 * - consumed:   distinct sequence numbers read
 * - lost:       acknowledged but never seen by the consumer (acked − consumed) — the number a
 *               resilience run must keep at 0. Jepsen splits this into "unseen" (never read: maybe the
 *               reader is behind) and "lost" (a later write was read, so this one should have been);
 *               the probe only judges a reader that has caught up with every partition, where both
 *               mean gone for good, so one count is kept, with the sequence numbers as evidence.
 * - duplicated: extra copies read (records read − distinct sequence numbers read)
 * - reordered:  per-key order violations: first copies of a sequence number read after a higher
 *               sequence number of the same writer in the same partition (see `OrderCheck`)
 * - unackedConsumed: read although no ledger says acked (a write whose ack was lost: allowed under
 *               at-least-once; reported so it is not mistaken for loss or duplication)
 * Records of tasks outside the scope (other runs on the same topic) are counted as `ignoredRecords`;
 * consumed records that are not a task id and a sequence number (a reader bug, garbage handed in) as
 * `invalidRecords`, never thrown on.
 */
import type { DataRecord } from "./data-record.ts";
import type { LedgerRecord } from "./ledger-record.ts";
import { RangeSet, type SeqRange } from "./range-set.ts";

export interface LedgerCounts {
  produced: number;
  acked: number;
  consumed: number;
  lost: number;
  duplicated: number;
  /** Absent in results recorded before the order check existed (stored runs are read back by nightly). */
  reordered?: number;
}

export interface TaskLedgerSummary extends LedgerCounts {
  reordered: number;
  unackedConsumed: number;
  consumedRecords: number;
  /** `RangeSet.toString()` of the lost sequence numbers, e.g. `120-139,400`: evidence for the report. */
  lostRanges: string;
  /** The sequence numbers read out of order, same form. */
  reorderedRanges: string;
}

export interface LedgerSummary extends LedgerCounts {
  reordered: number;
  unackedConsumed: number;
  /** Records read for in-scope tasks, duplicates included. */
  consumedRecords: number;
  ignoredRecords: number;
  invalidRecords: number;
  tasks: Record<string, TaskLedgerSummary>;
}

export interface ConsumedRecord {
  taskId: string;
  seq: number;
  /** The loader process that wrote the record (`DataRecord.writerId`; absent in older records). */
  writerId?: string;
  /** The writer's attempt: tells writers apart when `writerId` is absent. */
  attempt?: number;
  /** Partition it was read from; records without one are taken to share one partition. */
  partition?: number;
}

type RangesByTask = ReadonlyMap<string, RangeSet | Iterable<SeqRange>> | Readonly<Record<string, RangeSet | Iterable<SeqRange>>>;

export interface LedgerInput {
  /** Acknowledged ranges per task; its keys are the scope (tasks of this run). */
  acked: RangesByTask;
  /** Ranges handed to the producer per task (optional: `produced` falls back to acked ∪ consumed). */
  sent?: RangesByTask;
  /** In read order: each partition's records in offset order, as any Kafka consumer delivers them. */
  consumed: Iterable<ConsumedRecord>;
}

/**
 * Per-key order violations: Jepsen's "nonmonotonic" check, narrowed to what Kafka promises.
 *
 * For one task (the record key), a record is out of order when it is the first copy of its sequence
 * number read and the same writer already had a higher sequence number at a lower offset of the same
 * partition. Why those limits:
 * - one partition: Kafka orders records within a partition only (a task's records share one by key,
 *   unless the partition count changed mid-run);
 * - one writer: order is promised per producer. Two loaders of one task interleave legitimately (a
 *   replacement racing a zombie; a replacement filling an earlier writer's gap below what is already in
 *   the log). One loader sends its next batch only once the previous one is acknowledged, and its
 *   idempotent producer keeps a resent batch in place, so its sequence numbers rise in offset order;
 * - first copies only: a later copy of a sequence number already read (a batch resent after a
 *   producer-id reset lands twice) is counted in `duplicated`, never again here.
 * Records without `writerId` (written before it existed) fall back to their attempt, so two pods of
 * one attempt count as one writer there.
 */
class OrderCheck {
  /** Highest sequence number read so far per partition and writer. */
  private readonly highest = new Map<string, number>();
  readonly outOfOrder = new RangeSet();

  observe(record: ConsumedRecord, firstCopy: boolean): void {
    const writer = record.writerId ?? `attempt ${record.attempt ?? "?"}`;
    const key = `${record.partition ?? "?"}/${writer}`;
    const highest = this.highest.get(key);
    if (highest === undefined || record.seq > highest) this.highest.set(key, record.seq);
    else if (firstCopy && record.seq < highest) this.outOfOrder.add(record.seq);
  }
}

/** What the order check needs of a parsed data record, and the partition it was read from. */
export function consumedRecord(record: DataRecord, partition: number): ConsumedRecord {
  const { taskId, seq, writerId, attempt } = record;
  return { taskId, seq, attempt, partition, ...(writerId === undefined ? {} : { writerId }) };
}

/** Hand-built or half-parsed input must be skipped and counted, never crash the probe. */
function isConsumedRecord(record: unknown): record is ConsumedRecord {
  if (typeof record !== "object" || record === null) return false;
  const { taskId, seq } = record as Partial<ConsumedRecord>;
  return typeof taskId === "string" && taskId.length > 0 && Number.isSafeInteger(seq) && seq! >= 0;
}

export function computeLedger(input: LedgerInput): LedgerSummary {
  const acked = toSetMap(input.acked);
  const sent = input.sent ? toSetMap(input.sent) : new Map<string, RangeSet>();
  const seen = new Map<string, RangeSet>();
  const order = new Map<string, OrderCheck>();
  const readCount = new Map<string, number>();
  let ignoredRecords = 0;
  let invalidRecords = 0;
  for (const record of input.consumed) {
    if (!isConsumedRecord(record)) {
      invalidRecords += 1;
      continue;
    }
    const { taskId, seq } = record;
    if (!acked.has(taskId)) {
      ignoredRecords += 1;
      continue;
    }
    let set = seen.get(taskId);
    if (!set) seen.set(taskId, (set = new RangeSet()));
    let check = order.get(taskId);
    if (!check) order.set(taskId, (check = new OrderCheck()));
    check.observe(record, !set.contains(seq));
    set.add(seq);
    readCount.set(taskId, (readCount.get(taskId) ?? 0) + 1);
  }

  const summary: LedgerSummary = {
    produced: 0,
    acked: 0,
    consumed: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    unackedConsumed: 0,
    consumedRecords: 0,
    ignoredRecords,
    invalidRecords,
    tasks: {},
  };
  for (const [taskId, ackedSet] of acked) {
    const consumedSet = seen.get(taskId) ?? new RangeSet();
    const consumedRecords = readCount.get(taskId) ?? 0;
    const lost = ackedSet.subtract(consumedSet);
    const outOfOrder = order.get(taskId)?.outOfOrder ?? new RangeSet();
    const task: TaskLedgerSummary = {
      produced: RangeSet.union(sent.get(taskId) ?? new RangeSet(), ackedSet, consumedSet).count,
      acked: ackedSet.count,
      consumed: consumedSet.count,
      lost: lost.count,
      duplicated: consumedRecords - consumedSet.count,
      reordered: outOfOrder.count,
      unackedConsumed: consumedSet.subtract(ackedSet).count,
      consumedRecords,
      lostRanges: lost.toString(),
      reorderedRanges: outOfOrder.toString(),
    };
    summary.tasks[taskId] = task;
    summary.produced += task.produced;
    summary.acked += task.acked;
    summary.consumed += task.consumed;
    summary.lost += task.lost;
    summary.duplicated += task.duplicated;
    summary.reordered += task.reordered;
    summary.unackedConsumed += task.unackedConsumed;
    summary.consumedRecords += task.consumedRecords;
  }
  return summary;
}

export interface TaskLedger {
  taskId: string;
  /** Largest `messages` any writer declared (they should all agree). */
  messages: number;
  acked: RangeSet;
  sent: RangeSet;
  /** Some writer reported the task complete. */
  complete: boolean;
  attempts: number[];
  writers: number;
}

/**
 * Folds every ledger record read from `loader-ledger` into one view per task. Records are cumulative
 * per writer and every range in them is a real acknowledgement, so the union of all records is exact
 * whatever their order, duplicates, or which of them survived compaction.
 */
export function foldLedgerRecords(records: Iterable<LedgerRecord>): Map<string, TaskLedger> {
  const tasks = new Map<string, TaskLedger & { writerIds: Set<string>; attemptSet: Set<number> }>();
  for (const record of records) {
    let task = tasks.get(record.taskId);
    if (!task) {
      task = {
        taskId: record.taskId,
        messages: 0,
        acked: new RangeSet(),
        sent: new RangeSet(),
        complete: false,
        attempts: [],
        writers: 0,
        writerIds: new Set(),
        attemptSet: new Set(),
      };
      tasks.set(record.taskId, task);
    }
    task.messages = Math.max(task.messages, record.messages);
    for (const [first, last] of record.acked) task.acked.addRange(first, last);
    for (const [first, last] of record.inherited) task.acked.addRange(first, last);
    for (const [first, last] of record.sent) task.sent.addRange(first, last);
    task.complete ||= record.complete;
    task.writerIds.add(record.writerId);
    task.attemptSet.add(record.attempt);
  }
  const result = new Map<string, TaskLedger>();
  for (const { writerIds, attemptSet, ...task } of tasks.values()) {
    result.set(task.taskId, { ...task, writers: writerIds.size, attempts: [...attemptSet].sort((a, b) => a - b) });
  }
  return result;
}

/**
 * The probe in one call: ledger records of the tasks in scope plus what was consumed.
 * `taskIds` narrows the scope (default: every task that has a ledger record); a task in `taskIds`
 * without any ledger record is in scope with nothing acked.
 */
export function computeLedgerFromRecords(
  records: Iterable<LedgerRecord>,
  consumed: Iterable<ConsumedRecord>,
  taskIds?: Iterable<string>,
): LedgerSummary {
  const folded = foldLedgerRecords(records);
  const scope = taskIds ? [...new Set(taskIds)] : [...folded.keys()];
  const acked = new Map<string, RangeSet>();
  const sent = new Map<string, RangeSet>();
  for (const taskId of scope) {
    acked.set(taskId, folded.get(taskId)?.acked ?? new RangeSet());
    sent.set(taskId, folded.get(taskId)?.sent ?? new RangeSet());
  }
  return computeLedger({ acked, sent, consumed });
}

function toSetMap(byTask: RangesByTask): Map<string, RangeSet> {
  const entries = byTask instanceof Map ? [...byTask.entries()] : Object.entries(byTask);
  return new Map(
    entries.map(([taskId, ranges]) => [taskId, ranges instanceof RangeSet ? ranges : RangeSet.fromRanges(ranges)]),
  );
}
