/**
 * An in-memory queue-events topic for unit tests: partitions with offsets, one consumer group with
 * committed offsets, a producer (the healer's sink) and worker-side publishing. `setUp(false)` is a
 * Kafka outage: sends fail, the consumer is disconnected and gets nothing until it is up again.
 */
import { encodeQueueEvent, type QueueEvent } from "../../../workloads/queue-events/contract.ts";
import type { QueueEventSink } from "../outputs/event-publisher.ts";
import type { EventStream, EventStreamCallbacks } from "../inputs/event-stream.ts";

interface StoredRecord {
  offset: bigint;
  value: Buffer;
  key: string;
}

export class FakeKafka {
  readonly partitions: StoredRecord[][];
  /** Committed offset (next to read) per partition. */
  readonly committed = new Map<number, bigint>();
  readonly produced: QueueEvent[] = [];
  readonly streams: FakeEventStream[] = [];
  up = true;
  /** When false, the broker accepts produces but the consumer is never fed (a hung kafkajs fetch loop). */
  deliver = true;

  constructor(
    partitionCount = 3,
    private readonly now: () => number,
  ) {
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }

  get active(): FakeEventStream | undefined {
    return this.streams.find((stream) => stream.running);
  }

  partitionFor(key: string): number {
    let hash = 0;
    for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return hash % this.partitions.length;
  }

  /** A worker (loader) producing an event. Returns false when Kafka is down. */
  publish(event: QueueEvent): boolean {
    if (!this.up) return false;
    const { key, value } = encodeQueueEvent(event);
    this.append(this.partitionFor(key), key, Buffer.from(value));
    return true;
  }

  /** A raw record (malformed input tests). */
  publishRaw(key: string, value: Buffer | string): void {
    this.append(this.partitionFor(key), key, Buffer.from(value));
  }

  setUp(up: boolean): void {
    this.up = up;
    const stream = this.active;
    if (!stream) return;
    if (!up) stream.disconnect();
    else stream.reconnect();
  }

  sink(): QueueEventSink {
    return {
      send: async (event, partition) => {
        if (!this.up) throw new Error("KafkaJSConnectionError: Connection error: broker unreachable (fake)");
        this.produced.push(event);
        const { key, value } = encodeQueueEvent(event);
        this.append(partition ?? this.partitionFor(key), key, Buffer.from(value));
      },
      close: async () => undefined,
    };
  }

  factory(): () => EventStream {
    return () => {
      const stream = new FakeEventStream(this);
      this.streams.push(stream);
      return stream;
    };
  }

  /** Delivers everything not yet delivered to the active consumer. */
  pump(): void {
    this.active?.pump();
  }

  recordsIn(partition: number): StoredRecord[] {
    return this.partitions[partition] ?? [];
  }

  receiptTime(): number {
    return this.now();
  }

  private append(partition: number, key: string, value: Buffer): void {
    const records = this.partitions[partition]!;
    records.push({ offset: BigInt(records.length), value, key });
    this.pump();
  }
}

export class FakeEventStream implements EventStream {
  running = false;
  connected = false;
  stopped = false;
  private callbacks?: EventStreamCallbacks;
  private readonly position = new Map<number, bigint>();
  private readonly processed = new Map<number, bigint>();

  constructor(private readonly kafka: FakeKafka) {}

  async start(callbacks: EventStreamCallbacks): Promise<void> {
    if (!this.kafka.up) throw new Error("KafkaJSNumberOfRetriesExceeded: broker unreachable (fake)");
    this.callbacks = callbacks;
    this.running = true;
    this.reconnect();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopped = true;
    for (const [partition, offset] of this.processed) this.kafka.committed.set(partition, offset + 1n);
    this.connected = false;
    this.callbacks?.onConnectionChange(false);
  }

  disconnect(): void {
    this.connected = false;
    this.callbacks?.onAssignment([]);
    this.callbacks?.onConnectionChange(false);
  }

  reconnect(): void {
    if (!this.running || !this.kafka.up) return;
    this.connected = true;
    const partitions = this.kafka.partitions.map((_, index) => index);
    for (const partition of partitions) {
      this.position.set(partition, this.processed.has(partition) ? this.processed.get(partition)! + 1n : (this.kafka.committed.get(partition) ?? 0n));
    }
    this.callbacks?.onAssignment(partitions);
    this.callbacks?.onConnectionChange(true);
    this.pump();
  }

  pump(): void {
    if (!this.running || !this.connected || !this.kafka.deliver || !this.callbacks) return;
    for (let partition = 0; partition < this.kafka.partitions.length; partition++) {
      const records = this.kafka.partitions[partition]!;
      let next = this.position.get(partition) ?? 0n;
      while (next < BigInt(records.length)) {
        const record = records[Number(next)]!;
        this.callbacks.onRecord({ partition, offset: record.offset.toString(), value: record.value, receivedMs: this.kafka.receiptTime() });
        this.processed.set(partition, record.offset);
        next += 1n;
      }
      this.position.set(partition, next);
      this.callbacks.onLag(partition, 0);
    }
  }
}
