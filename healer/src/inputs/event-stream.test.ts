/**
 * KafkaEventStream against a fake kafkajs consumer: the consumer's group events drive the callbacks,
 * and once stopped the stream keeps the consumer stopped. kafkajs can revive a consumer after
 * disconnect() (a crash handler's restart timer set after our stop, a start() still connecting); such a
 * consumer rejoins the group as a zombie member holding partitions, so any GROUP_JOIN or CRASH after
 * stop() must be answered with another disconnect().
 */
import type { Consumer, ConsumerConfig, Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { captureLogger } from "../testing/fixtures.ts";
import { flushPromises, ManualClock } from "../testing/manual-clock.ts";
import { type EventStreamCallbacks, KafkaEventStream } from "./event-stream.ts";

const TOPIC = "queue-events-test";

/** kafkajs's consumer event names (consumer.events), as the stream subscribes to them. */
const EVENTS = {
  GROUP_JOIN: "consumer.group_join",
  REBALANCING: "consumer.rebalancing",
  DISCONNECT: "consumer.disconnect",
  STOP: "consumer.stop",
  CRASH: "consumer.crash",
} as const;

type Listener = (event: { id: number; type: string; timestamp: number; payload: unknown }) => void;

/**
 * The part of a kafkajs consumer the stream uses: it records calls, and the test emits the consumer's
 * instrumentation events through the listeners the stream registered. connect() can be held open
 * (a start() still connecting).
 */
class FakeConsumer {
  readonly events = EVENTS;
  readonly calls: string[] = [];
  readonly runConfigs: Array<{ autoCommit?: boolean }> = [];
  private readonly listeners = new Map<string, Listener[]>();
  private eventId = 0;
  private connectGate?: Promise<void>;
  private releaseConnect?: () => void;

  holdConnect(): void {
    this.connectGate = new Promise<void>((resolve) => (this.releaseConnect = resolve));
  }

  finishConnect(): void {
    this.releaseConnect?.();
  }

  count(call: string): number {
    return this.calls.filter((name) => name === call).length;
  }

  on(type: string, listener: Listener): () => void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    return () => this.listeners.set(type, (this.listeners.get(type) ?? []).filter((other) => other !== listener));
  }

  emit(type: string, payload: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ id: this.eventId++, type, timestamp: Date.now(), payload });
  }

  /** What kafkajs emits once the member has joined the group and synced its assignment. */
  joinGroup(partitions: number[]): void {
    this.emit(EVENTS.GROUP_JOIN, { duration: 1, groupId: "g", isLeader: true, leaderId: "m", groupProtocol: "RoundRobin", memberId: "m", memberAssignment: { [TOPIC]: partitions } });
  }

  /** What kafkajs's crash handler emits before it sets its restart timer (when `restart`). */
  crash(restart: boolean, error = new Error("KafkaJSConnectionError: broker gone (fake)")): void {
    this.emit(EVENTS.CRASH, { error, groupId: "g", restart });
  }

  async connect(): Promise<void> {
    this.calls.push("connect");
    await this.connectGate;
  }

  async subscribe(): Promise<void> {
    this.calls.push("subscribe");
  }

  async run(config: { autoCommit?: boolean }): Promise<void> {
    this.calls.push("run");
    this.runConfigs.push(config);
  }

  async commitOffsets(): Promise<void> {
    this.calls.push("commitOffsets");
  }

  async disconnect(): Promise<void> {
    this.calls.push("disconnect");
  }
}

/** A Kafka whose consumer() hands out the given fake. */
function fakeKafka(consumer: FakeConsumer): { kafka: Kafka; configs: ConsumerConfig[] } {
  const configs: ConsumerConfig[] = [];
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      configs.push(config);
      return consumer as unknown as Consumer;
    },
  } as unknown as Kafka;
  return { kafka, configs };
}

function recordingCallbacks() {
  const assignments: number[][] = [];
  const connection: boolean[] = [];
  const fatal: unknown[] = [];
  const callbacks: EventStreamCallbacks = {
    onRecord: () => undefined,
    onAssignment: (partitions) => assignments.push(partitions),
    onConnectionChange: (connected) => connection.push(connected),
    onLag: () => undefined,
    onFatal: (error) => fatal.push(error),
  };
  return { callbacks, assignments, connection, fatal };
}

function setUp() {
  const consumer = new FakeConsumer();
  const { kafka, configs } = fakeKafka(consumer);
  const clock = new ManualClock();
  const stream = new KafkaEventStream(kafka, { groupId: "healer-test", topic: TOPIC }, clock, captureLogger().logger);
  return { consumer, configs, clock, stream, ...recordingCallbacks() };
}

describe("KafkaEventStream: consumer group events before stop()", () => {
  it("connects, subscribes and runs one consumer in the configured group, committing itself", async () => {
    const { consumer, configs, stream, callbacks } = setUp();
    await stream.start(callbacks);
    expect(consumer.calls).toEqual(["connect", "subscribe", "run"]);
    expect(configs).toHaveLength(1);
    expect(configs[0]).toMatchObject({ groupId: "healer-test", allowAutoTopicCreation: false });
    expect(consumer.runConfigs).toMatchObject([{ autoCommit: false }]);
  });

  it("reports a GROUP_JOIN's assignment and does not disconnect (the normal path)", async () => {
    const { consumer, stream, callbacks, assignments, connection } = setUp();
    await stream.start(callbacks);
    consumer.joinGroup([0, 2]);
    await flushPromises();
    expect(assignments).toEqual([[0, 2]]);
    expect(connection).toEqual([true]);
    expect(consumer.count("disconnect")).toBe(0);
  });

  it("reports a CRASH as disconnected, fatal only without restart, and does not disconnect", async () => {
    const { consumer, stream, callbacks, assignments, connection, fatal } = setUp();
    await stream.start(callbacks);
    consumer.joinGroup([1]);
    consumer.crash(true);
    await flushPromises();
    expect(fatal).toEqual([]);
    const error = new Error("KafkaJSNonRetriableError (fake)");
    consumer.crash(false, error);
    await flushPromises();
    expect(fatal).toEqual([error]);
    expect(assignments).toEqual([[1], [], []]);
    expect(connection).toEqual([true, false, false]);
    expect(consumer.count("disconnect")).toBe(0);
  });
});

describe("KafkaEventStream: a consumer kafkajs revives after stop() is disconnected again", () => {
  it("disconnects again on a GROUP_JOIN after stop, and reports no assignment", async () => {
    const { consumer, stream, callbacks, assignments, connection } = setUp();
    await stream.start(callbacks);
    consumer.joinGroup([0, 1, 2]);
    await stream.stop();
    expect(consumer.count("disconnect")).toBe(1);

    // The crash handler's restart timer (set after our stop) rejoins the group.
    consumer.joinGroup([0, 1, 2]);
    // Deferred: never re-entering kafkajs from inside its own event emission.
    expect(consumer.count("disconnect")).toBe(1);
    await flushPromises();
    expect(consumer.count("disconnect")).toBe(2);
    // The zombie's partitions are not this healer's: nothing reported after the first join.
    expect(assignments).toEqual([[0, 1, 2]]);
    expect(connection).toEqual([true]);
  });

  it("disconnects again on a CRASH after stop, and reports no fatal error", async () => {
    const { consumer, stream, callbacks, connection, fatal } = setUp();
    await stream.start(callbacks);
    await stream.stop();
    expect(consumer.count("disconnect")).toBe(1);

    // kafkajs sets its restart timer right after this event: the disconnect that follows clears it.
    consumer.crash(true);
    await flushPromises();
    expect(consumer.count("disconnect")).toBe(2);
    consumer.crash(false);
    await flushPromises();
    expect(consumer.count("disconnect")).toBe(3);
    expect(fatal).toEqual([]);
    expect(connection).toEqual([]);
  });

  it("disconnects again each time: every sign of life after stop gets its own disconnect", async () => {
    const { consumer, stream, callbacks } = setUp();
    await stream.start(callbacks);
    await stream.stop();
    consumer.joinGroup([0]);
    consumer.crash(true);
    consumer.joinGroup([1]);
    await flushPromises();
    expect(consumer.count("disconnect")).toBe(4);
  });

  it("disconnects a start() that was still connecting when stop() came, once it joins the group", async () => {
    const { consumer, stream, callbacks, assignments, connection } = setUp();
    consumer.holdConnect();
    const starting = stream.start(callbacks);
    await flushPromises();
    expect(consumer.calls).toEqual(["connect"]);

    await stream.stop();
    expect(consumer.calls).toEqual(["connect", "disconnect"]);

    // kafkajs's connect goes on after our disconnect: the start subscribes, runs and joins the group.
    consumer.finishConnect();
    await starting;
    expect(consumer.calls).toEqual(["connect", "disconnect", "subscribe", "run"]);
    consumer.joinGroup([0, 1, 2]);
    await flushPromises();
    expect(consumer.calls).toEqual(["connect", "disconnect", "subscribe", "run", "disconnect"]);
    expect(assignments).toEqual([]);
    expect(connection).toEqual([]);
  });
});
