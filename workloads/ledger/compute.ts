/**
 * The Kafka ledger arithmetic of the `kafka.ledger` probe: what the loaders say was acknowledged
 * (acks=all) versus what a consumer of `loader-data` actually read.
 *
 * Definitions (per task, summed over the tasks in scope):
 * - produced:   distinct sequence numbers known to have been produced: sent ∪ acked ∪ consumed
 *               (anything consumed was produced, even by a writer whose ledger never got through)
 * - acked:      distinct sequence numbers acknowledged by the brokers
 * - consumed:   distinct sequence numbers read
 * - lost:       acked but never read — the number a resilience run must keep at 0
 * - duplicated: extra copies read (records read − distinct sequence numbers read)
 * - unackedConsumed: read although no ledger says acked (a write whose ack was lost: allowed under
 *               at-least-once; reported so it is not mistaken for loss or duplication)
 * Records of tasks outside the scope (other runs on the same topic) are counted as `ignoredRecords`.
 */
import type { LedgerRecord } from "./ledger-record.ts";
import { RangeSet, type SeqRange } from "./range-set.ts";

export interface LedgerCounts {
  produced: number;
  acked: number;
  consumed: number;
  lost: number;
  duplicated: number;
}

export interface TaskLedgerSummary extends LedgerCounts {
  unackedConsumed: number;
  consumedRecords: number;
  /** `RangeSet.toString()` of the lost sequence numbers, e.g. `120-139,400`: evidence for the report. */
  lostRanges: string;
}

export interface LedgerSummary extends LedgerCounts {
  unackedConsumed: number;
  /** Records read for in-scope tasks, duplicates included. */
  consumedRecords: number;
  ignoredRecords: number;
  tasks: Record<string, TaskLedgerSummary>;
}

export interface ConsumedRecord {
  taskId: string;
  seq: number;
}

type RangesByTask = ReadonlyMap<string, RangeSet | Iterable<SeqRange>> | Readonly<Record<string, RangeSet | Iterable<SeqRange>>>;

export interface LedgerInput {
  /** Acknowledged ranges per task; its keys are the scope (tasks of this run). */
  acked: RangesByTask;
  /** Ranges handed to the producer per task (optional: `produced` falls back to acked ∪ consumed). */
  sent?: RangesByTask;
  consumed: Iterable<ConsumedRecord>;
}

export function computeLedger(input: LedgerInput): LedgerSummary {
  const acked = toSetMap(input.acked);
  const sent = input.sent ? toSetMap(input.sent) : new Map<string, RangeSet>();
  const seen = new Map<string, RangeSet>();
  const readCount = new Map<string, number>();
  let ignoredRecords = 0;
  for (const { taskId, seq } of input.consumed) {
    if (!acked.has(taskId)) {
      ignoredRecords += 1;
      continue;
    }
    let set = seen.get(taskId);
    if (!set) seen.set(taskId, (set = new RangeSet()));
    set.add(seq);
    readCount.set(taskId, (readCount.get(taskId) ?? 0) + 1);
  }

  const summary: LedgerSummary = {
    produced: 0,
    acked: 0,
    consumed: 0,
    lost: 0,
    duplicated: 0,
    unackedConsumed: 0,
    consumedRecords: 0,
    ignoredRecords,
    tasks: {},
  };
  for (const [taskId, ackedSet] of acked) {
    const consumedSet = seen.get(taskId) ?? new RangeSet();
    const consumedRecords = readCount.get(taskId) ?? 0;
    const lost = ackedSet.subtract(consumedSet);
    const task: TaskLedgerSummary = {
      produced: RangeSet.union(sent.get(taskId) ?? new RangeSet(), ackedSet, consumedSet).count,
      acked: ackedSet.count,
      consumed: consumedSet.count,
      lost: lost.count,
      duplicated: consumedRecords - consumedSet.count,
      unackedConsumed: consumedSet.subtract(ackedSet).count,
      consumedRecords,
      lostRanges: lost.toString(),
    };
    summary.tasks[taskId] = task;
    summary.produced += task.produced;
    summary.acked += task.acked;
    summary.consumed += task.consumed;
    summary.lost += task.lost;
    summary.duplicated += task.duplicated;
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
