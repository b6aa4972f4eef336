/**
 * The queue-events input: a Kafka consumer in the healer's own consumer group, behind a small
 * interface (unit tests inject a fake). Only the leader consumes: the group then has one member that
 * owns every partition, so the leader sees every event and the standby keeps no stale state.
 *
 * Offsets are committed only after the state update: records are applied by a RecordPipeline just
 * after kafkajs hands them over (so the next fetch overlaps the work), and only offsets the pipeline
 * applied are committed, by this stream (every second, and on stop), never by kafkajs.
 */
import { type Consumer, type Kafka, type LogEntry, logLevel } from "kafkajs";
import { QUEUE_EVENTS_TOPIC } from "../../../workloads/queue-events/contract.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/logger.ts";
import { errorMessage } from "../runtime/errors.ts";
import { type ConsumedRecord, RecordPipeline } from "./record-pipeline.ts";

// One consumed record: defined beside the pipeline that hands records over (no import cycle).
export type { ConsumedRecord } from "./record-pipeline.ts";

export interface EventStreamCallbacks {
  /** Applies one record to the healer's state, synchronously; its offset is committable afterwards. */
  onRecord(record: ConsumedRecord): void;
  /** Partitions assigned to this member (empty while rebalancing or disconnected). */
  onAssignment(partitions: number[]): void;
  onConnectionChange(connected: boolean): void;
  onLag(partition: number, lagMessages: number): void;
  /** The consumer died and will not restart by itself. */
  onFatal(error: unknown): void;
}

export interface EventStream {
  start(callbacks: EventStreamCallbacks): Promise<void>;
  /** Stops taking records, commits what was processed, leaves the group. */
  stop(): Promise<void>;
}

export type EventStreamFactory = () => EventStream;

/** Routes kafkajs's own logging into pino at the same levels. */
export function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/**
 * kafkajs fetch sizing of the queue-events consumer. kafkajs's defaults (10 MiB per fetch, 1 MiB per
 * partition) are for bulk data: events are a few hundred bytes, and every fetch response is held whole
 * (and re-concatenated chunk by chunk as it arrives) and decoded into a message object per record
 * while its batch is processed, so large fetches cost resident memory and copying, not throughput.
 * The bench's bare consumer uses the same settings (bench/healer-worker.ts).
 */
export const QUEUE_EVENTS_FETCH = {
  maxBytesPerPartition: 128 * 1024,
  maxBytes: 512 * 1024,
} as const;

/**
 * Records queued between kafkajs and the intake before a fetch waits: about one fetch's worth of
 * events (512 KiB at ~200 bytes), so one fetch is in flight while the previous one is applied.
 */
const MAX_QUEUED_RECORDS = 2_500;
/** How often applied offsets are committed (kafkajs's autoCommitInterval, which this replaces). */
const COMMIT_INTERVAL_MS = 1_000;

export interface KafkaEventStreamOptions {
  groupId: string;
  topic?: string;
  /** Short session: a crashed leader's member is evicted quickly so the new leader's join is not held up. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export class KafkaEventStream implements EventStream {
  private consumer?: Consumer;
  private pipeline?: RecordPipeline;
  private commitTimer?: { cancel(): void };
  private commitInFlight?: Promise<void>;
  /** Set by stop(): no more batches are queued, no more commits scheduled. */
  private draining = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaEventStreamOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(callbacks: EventStreamCallbacks): Promise<void> {
    const topic = this.options.topic ?? QUEUE_EVENTS_TOPIC;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
      ...QUEUE_EVENTS_FETCH,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    const pipeline = new RecordPipeline({ apply: callbacks.onRecord, onLag: callbacks.onLag, maxQueuedRecords: MAX_QUEUED_RECORDS });
    this.pipeline = pipeline;
    // kafkajs can come back after disconnect(): a crash handler that was running sets its restart timer
    // after our stop, and a start() that was connecting goes on. Such a consumer would be a zombie member
    // of the group taking partitions (and the canaries) from the next one (seen after a full Kafka
    // outage in kafka-outage.lab.test.ts): once stopped, any sign of life is disconnected again.
    const stayStopped = () => setImmediate(() => void consumer.disconnect().catch(() => undefined));
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (this.draining) return stayStopped();
      const partitions = event.payload.memberAssignment[topic] ?? [];
      pipeline.retainPartitions(partitions);
      callbacks.onAssignment(partitions);
      callbacks.onConnectionChange(true);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      // What is queued may go to another member now; it is re-read from the committed offset.
      pipeline.discard();
      callbacks.onAssignment([]);
    });
    consumer.on(consumer.events.DISCONNECT, () => callbacks.onConnectionChange(false));
    consumer.on(consumer.events.STOP, () => callbacks.onConnectionChange(false));
    consumer.on(consumer.events.CRASH, (event) => {
      // The restart timer is set right after this event: cleared by the disconnect that follows.
      if (this.draining) return stayStopped();
      callbacks.onConnectionChange(false);
      callbacks.onAssignment([]);
      if (!event.payload.restart) callbacks.onFatal(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      // Commits are this stream's (commitApplied): kafkajs would commit what it fetched, not what was applied.
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // isRunning() and isStale() change only on the consumer's own events (stop, rebalance, seek):
        // asked once per batch (kafkajs's isStale costs a map lookup by a built key).
        const { messages } = batch;
        if (messages.length > 0 && isRunning() && !isStale() && !this.draining) {
          // Resolving moves only kafkajs's fetch position (nothing is committed by kafkajs): the next
          // fetch asks for what follows while the pipeline applies this batch.
          resolveOffset(messages[messages.length - 1]!.offset);
          // The records of a batch arrived together: one receipt time for all of them.
          await pipeline.push({ partition: batch.partition, messages, receivedMs: this.clock.monotonicMs(), highWatermark: batch.highWatermark });
        }
        await heartbeat();
      },
    });
    this.scheduleCommit();
  }

  private scheduleCommit(): void {
    this.commitTimer = this.clock.setTimer(() => {
      this.commitInFlight = this.commitApplied().finally(() => {
        this.commitInFlight = undefined;
        if (!this.draining) this.scheduleCommit();
      });
    }, COMMIT_INTERVAL_MS);
  }

  /** Commits the offsets of applied records; a failure (rebalance, coordinator moved) is retried next time. */
  private async commitApplied(): Promise<void> {
    const consumer = this.consumer;
    const offsets = this.pipeline?.uncommitted() ?? [];
    if (!consumer || offsets.length === 0) return;
    const topic = this.options.topic ?? QUEUE_EVENTS_TOPIC;
    try {
      await consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic, partition, offset })));
      this.pipeline?.markCommitted(offsets);
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, "could not commit applied offsets; retrying in a second");
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.draining = true;
    this.commitTimer?.cancel();
    // Queued and not applied: left for the next leader, which reads from the committed offset.
    this.pipeline?.discard();
    await this.commitInFlight;
    const offsets = this.pipeline?.uncommitted() ?? [];
    if (offsets.length > 0) {
      try {
        await consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic: this.options.topic ?? QUEUE_EVENTS_TOPIC, partition, offset })));
      } catch (error) {
        this.logger.warn({ err: errorMessage(error) }, "could not commit offsets on stop; the next leader re-reads a few events");
      }
    }
    try {
      await consumer.disconnect();
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, "consumer disconnect failed");
    }
    this.consumer = undefined;
    this.pipeline = undefined;
  }
}
