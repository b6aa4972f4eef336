import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { QueueEvent } from "../queue-events/contract.ts";
import { EventStream } from "./event-stream.ts";
import { isProducerStateError } from "./kafka-transport.ts";

const identity = { jobUid: "u", jobName: "j", namespace: "streamforge", taskId: "t", attempt: 0 };

describe("EventStream", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function stream(send: (event: QueueEvent) => Promise<void>, maxQueued = 1000) {
    return new EventStream(identity, send, { logger: pino({ level: "silent" }), now: Date.now, maxQueued });
  }

  it("delivers in seq order even when sends fail and are retried", async () => {
    const delivered: number[] = [];
    let failures = 3;
    const events = stream(async (event) => {
      if (failures-- > 0) throw new Error("broker gone");
      delivered.push(event.seq);
    });
    events.emit("started");
    events.emit("heartbeat", { progress: 0 });
    events.emit("progress", { progress: 10 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(delivered).toEqual([0, 1, 2]);
    expect(events.pending).toBe(0);
  });

  it("drops the oldest heartbeats first when the queue is full, never started/error/completed", async () => {
    const delivered: QueueEvent[] = [];
    let up = false;
    const events = stream(async (event) => {
      if (!up) throw new Error("down");
      delivered.push(event);
    }, 3);
    events.emit("started");
    events.emit("heartbeat");
    events.emit("heartbeat");
    events.emit("error", { severity: "critical" });
    events.emit("heartbeat");
    expect(events.dropped).toBe(2);
    up = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(delivered.map((event) => `${event.type}#${event.seq}`)).toEqual(["started#0", "error#3", "heartbeat#4"]);
  });

  it("sends nothing more once muted (stall)", async () => {
    const delivered: string[] = [];
    const events = stream(async (event) => void delivered.push(event.type));
    events.emit("started");
    await vi.advanceTimersByTimeAsync(10);
    events.mute();
    expect(events.emit("heartbeat")).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(delivered).toEqual(["started"]);
  });

  it("rewinds the seq by the given amount, or to 0", () => {
    const events = stream(async () => {});
    for (let i = 0; i < 6; i += 1) events.emit("heartbeat");
    expect(events.rewind(2)).toEqual({ lastSeq: 5, nextSeq: 3 });
    expect(events.emit("heartbeat")!.seq).toBe(3);
    expect(events.rewind()).toEqual({ lastSeq: 3, nextSeq: 0 });
  });

  it("flush gives up after its timeout while Kafka is down", async () => {
    const events = stream(() => Promise.reject(new Error("down")));
    events.emit("started");
    const flushed = events.flush(1000);
    await vi.advanceTimersByTimeAsync(1500);
    expect(await flushed).toBe(false);
    events.close();
  });

  it("rejects an event the contract would reject, at the producer", () => {
    const events = new EventStream({ ...identity, jobUid: "" }, async () => {}, { logger: pino({ level: "silent" }), now: Date.now });
    expect(() => events.emit("started")).toThrow();
  });
});

describe("isProducerStateError", () => {
  it("recognises the broker's producer-state errors, also when kafkajs wraps them", () => {
    const protocolError = Object.assign(new Error("out of order"), { type: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    const wrapped = Object.assign(new Error("retries exceeded"), { cause: protocolError });
    expect(isProducerStateError(protocolError)).toBe(true);
    expect(isProducerStateError(wrapped)).toBe(true);
    expect(isProducerStateError(Object.assign(new Error("x"), { type: "NOT_LEADER_OR_FOLLOWER" }))).toBe(false);
    expect(isProducerStateError("nope")).toBe(false);
  });
});
