/**
 * Between kafkajs and the intake: batches are queued and applied on the next macrotask, so kafkajs's
 * next fetch request is already on the wire while this one's records are parsed and tracked. kafkajs
 * sends the next fetch to a broker only when `eachBatch` returns; applying records inside it made every
 * fetch wait for the healer's work (bench-healer: the consumer path at 0.5-0.7× a bare consumer that
 * only counts, while both sat idle most of the time, waiting for the broker).
 *
 * What makes it safe:
 *   - `processed` holds, per partition, the last offset whose record the intake applied; only these
 *     are committed (`uncommitted`/`markCommitted`). A record queued and not applied is never
 *     committed, so a crash or a rebalance re-reads it (the intake skips what it already applied).
 *   - The queue is bounded: `push` returns a promise that resolves once the queue is below
 *     `maxQueuedRecords`, and `eachBatch` awaits it, so a slow intake slows the fetches instead of
 *     growing memory.
 *   - `discard` (rebalance, stop) drops what is queued and releases a waiting `push`.
 */
export interface ConsumedRecord {
  partition: number;
  /** Kafka offset as a decimal string (64-bit). */
  offset: string;
  value: Buffer | null;
  /** Healer's monotonic receipt time. */
  receivedMs: number;
}

export interface PendingBatch {
  partition: number;
  messages: ReadonlyArray<{ offset: string; value: Buffer | null }>;
  /** When kafkajs handed the batch over: the receipt time of all its records. */
  receivedMs: number;
  highWatermark: string;
}

export interface RecordPipelineOptions {
  /** Applies one record (synchronously); afterwards its offset is committable. */
  apply(record: ConsumedRecord): void;
  /** Messages the partition still has after the last applied record. */
  onLag(partition: number, lagMessages: number): void;
  /** `push` waits while this many records are queued. */
  maxQueuedRecords: number;
  /** Runs the drain later; setImmediate by default (after pending I/O callbacks). */
  schedule?: (drain: () => void) => void;
}

export class RecordPipeline {
  private queue: PendingBatch[] = [];
  private queuedRecords = 0;
  private drainScheduled = false;
  private waiters: Array<() => void> = [];
  /** Last applied offset per partition. */
  private readonly processed = new Map<number, string>();
  private readonly committed = new Map<number, string>();
  private readonly schedule: (drain: () => void) => void;

  constructor(private readonly options: RecordPipelineOptions) {
    this.schedule = options.schedule ?? ((drain) => setImmediate(drain));
  }

  /** Queues a batch to be applied soon; the promise resolves when the queue has room again. */
  push(batch: PendingBatch): Promise<void> {
    if (batch.messages.length === 0) return Promise.resolve();
    this.queue.push(batch);
    this.queuedRecords += batch.messages.length;
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.schedule(() => this.drain());
    }
    if (this.queuedRecords < this.options.maxQueuedRecords) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Applies every queued record, in order. */
  drain(): void {
    this.drainScheduled = false;
    const batches = this.queue;
    this.queue = [];
    this.queuedRecords = 0;
    for (const batch of batches) {
      const { partition, receivedMs } = batch;
      let applied: string | undefined;
      for (const message of batch.messages) {
        this.options.apply({ partition, offset: message.offset, value: message.value, receivedMs });
        applied = message.offset;
      }
      if (applied === undefined) continue;
      this.processed.set(partition, applied);
      this.options.onLag(partition, Math.max(0, Number(batch.highWatermark) - Number(applied) - 1));
    }
    this.release();
  }

  /** Drops what is queued and not applied (a rebalance or stop: it is re-read from the committed offset). */
  discard(): void {
    this.queue = [];
    this.queuedRecords = 0;
    this.release();
  }

  /**
   * After a rebalance: forgets the partitions this member no longer owns, so their last applied offsets
   * are not committed over the new owner's.
   */
  retainPartitions(partitions: readonly number[]): void {
    for (const partition of [...this.processed.keys()]) {
      if (!partitions.includes(partition)) {
        this.processed.delete(partition);
        this.committed.delete(partition);
      }
    }
  }

  /** Applied offsets not yet committed, as Kafka wants them: the next offset to read. */
  uncommitted(): Array<{ partition: number; offset: string }> {
    const offsets: Array<{ partition: number; offset: string }> = [];
    for (const [partition, offset] of this.processed) {
      if (this.committed.get(partition) !== offset) offsets.push({ partition, offset: (BigInt(offset) + 1n).toString() });
    }
    return offsets;
  }

  /** `offsets` (as `uncommitted` gave them) are committed now. */
  markCommitted(offsets: ReadonlyArray<{ partition: number; offset: string }>): void {
    for (const { partition, offset } of offsets) this.committed.set(partition, (BigInt(offset) - 1n).toString());
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
