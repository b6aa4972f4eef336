/**
 * The queue-events input: a Kafka consumer in the healer's own consumer group, behind a small
 * interface (unit tests inject a fake). Only the leader consumes: the group then has one member that
 * owns every partition, so the leader sees every event and the standby keeps no stale state.
 *
 * Offsets are committed only after the state update: a record's offset is resolved after the
 * synchronous callback that applied it to the tracker, and only resolved offsets are committed
 * (after every batch, and explicitly on stop).
 */
import { type Consumer, type Kafka, type LogEntry, logLevel } from "kafkajs";
import { QUEUE_EVENTS_TOPIC } from "../../../workloads/queue-events/contract.ts";
import type { Clock } from "../runtime/clock.ts";
import type { Logger } from "../runtime/logger.ts";
import { errorMessage } from "../runtime/errors.ts";

export interface ConsumedRecord {
  partition: number;
  /** Kafka offset as a decimal string (64-bit). */
  offset: string;
  value: Buffer | null;
  /** Healer's monotonic receipt time. */
  receivedMs: number;
}

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

export interface KafkaEventStreamOptions {
  groupId: string;
  topic?: string;
  /** Short session: a crashed leader's member is evicted quickly so the new leader's join is not held up. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export class KafkaEventStream implements EventStream {
  private consumer?: Consumer;
  private draining = false;
  /** Last processed (applied to state) offset per partition. */
  private readonly processed = new Map<number, string>();

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
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[topic] ?? [];
      callbacks.onAssignment(partitions);
      callbacks.onConnectionChange(true);
    });
    consumer.on(consumer.events.REBALANCING, () => callbacks.onAssignment([]));
    consumer.on(consumer.events.DISCONNECT, () => callbacks.onConnectionChange(false));
    consumer.on(consumer.events.STOP, () => callbacks.onConnectionChange(false));
    consumer.on(consumer.events.CRASH, (event) => {
      callbacks.onConnectionChange(false);
      callbacks.onAssignment([]);
      if (!event.payload.restart) callbacks.onFatal(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // The records of a batch arrived together: one receipt time for all of them.
        const receivedMs = this.clock.monotonicMs();
        const { partition, messages } = batch;
        let applied: string | undefined;
        // isRunning() and isStale() change only on the consumer's own events (stop, rebalance, seek), which
        // cannot run inside this synchronous loop: asked once per batch (kafkajs's isStale costs a map
        // lookup by a built key). `draining` is set synchronously by stop(), so it is checked per record.
        const current = isRunning() && !isStale();
        for (const message of current ? messages : []) {
          if (this.draining) break;
          callbacks.onRecord({ partition, offset: message.offset, value: message.value, receivedMs });
          applied = message.offset;
        }
        // Resolving the last applied offset once covers every one before it: nothing is committed while
        // this synchronous loop runs, and a record is never resolved before onRecord applied it.
        if (applied !== undefined) {
          resolveOffset(applied);
          this.processed.set(partition, applied);
        }
        const last = this.processed.get(partition);
        if (last !== undefined) callbacks.onLag(partition, Math.max(0, Number(batch.highWatermark) - Number(last) - 1));
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    this.draining = true;
    const offsets = [...this.processed].map(([partition, offset]) => ({
      topic: this.options.topic ?? QUEUE_EVENTS_TOPIC,
      partition,
      // A committed offset is the next one to read.
      offset: (BigInt(offset) + 1n).toString(),
    }));
    if (offsets.length > 0) {
      try {
        await consumer.commitOffsets(offsets);
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
  }
}
