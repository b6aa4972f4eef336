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
        for (const message of batch.messages) {
          if (this.draining || !isRunning() || isStale()) break;
          callbacks.onRecord({ partition: batch.partition, offset: message.offset, value: message.value, receivedMs: this.clock.monotonicMs() });
          resolveOffset(message.offset);
          this.processed.set(batch.partition, message.offset);
        }
        const last = this.processed.get(batch.partition);
        if (last !== undefined) callbacks.onLag(batch.partition, Math.max(0, Number(batch.highWatermark) - Number(last) - 1));
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
