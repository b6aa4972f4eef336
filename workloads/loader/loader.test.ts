import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LOADER_FATAL_EXIT_CODE, queueEventSchema, type QueueEvent } from "../queue-events/contract.ts";
import type { DataRecord } from "../ledger/data-record.ts";
import { ledgerRecordSchema, type LedgerRecord } from "../ledger/ledger-record.ts";
import { RangeSet } from "../ledger/range-set.ts";
import type { LoaderConfig } from "./config.ts";
import { parseFaultProfile } from "./fault-profile.ts";
import { Loader } from "./loader.ts";
import type { LoaderOutcome, LoaderTransport } from "./loader-contract.ts";

/** In-memory Kafka: records what was acknowledged; `down` makes every call fail, `hang` never answer. */
class FakeKafka implements LoaderTransport {
  data: DataRecord[] = [];
  ledger: LedgerRecord[] = [];
  events: QueueEvent[] = [];
  inherited = new RangeSet();
  down = false;
  hang = false;
  dataCalls = 0;

  private gate<T>(value: () => T): Promise<T> {
    if (this.hang) return new Promise(() => {});
    if (this.down) return Promise.reject(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:39092"));
    return Promise.resolve(value());
  }
  readAcked(): Promise<RangeSet> {
    return this.gate(() => this.inherited.clone());
  }
  sendData(records: DataRecord[]): Promise<void> {
    this.dataCalls += 1;
    return this.gate(() => void this.data.push(...records));
  }
  sendLedger(record: LedgerRecord): Promise<void> {
    return this.gate(() => void this.ledger.push(ledgerRecordSchema.parse(record)));
  }
  sendEvent(event: QueueEvent): Promise<void> {
    return this.gate(() => void this.events.push(queueEventSchema.parse(event)));
  }
  types(): string[] {
    return this.events.map((event) => event.type);
  }
  lastLedger(): LedgerRecord {
    return this.ledger.at(-1)!;
  }
}

function config(overrides: Partial<LoaderConfig> & { fault?: string } = {}): LoaderConfig {
  const { fault, ...rest } = overrides;
  return {
    brokers: ["127.0.0.1:1"],
    taskId: "loader-1",
    jobName: "loader-1",
    jobUid: "uid-1",
    namespace: "streamforge",
    attempt: 0,
    messages: 100,
    ratePerSec: 100,
    heartbeatIntervalMs: 1000,
    progressIntervalMs: 500,
    maxBatch: 500,
    batchWindowMs: 200,
    payloadBytes: 8,
    dataTopic: "loader-data",
    ledgerTopic: "loader-ledger",
    eventsTopic: "queue-events",
    resumeTimeoutMs: 5000,
    faults: parseFaultProfile(fault),
    faultAttempts: "first",
    configuredFaults: parseFaultProfile(fault),
    ...rest,
  };
}

const silent = pino({ level: "silent" });

function start(kafka: FakeKafka, overrides: Parameters<typeof config>[0] = {}) {
  const crashes: number[] = [];
  const loader = new Loader(config(overrides), kafka, {
    logger: silent,
    crash: (code) => crashes.push(code),
    writerId: "writer-1",
    shutdownBudgetMs: 1000,
  });
  let outcome: LoaderOutcome | undefined;
  const run = loader.run().then((result) => (outcome = result));
  return { loader, crashes, run, outcome: () => outcome };
}

function seqsOf(records: DataRecord[]): number[] {
  return records.map((record) => record.seq);
}

function expectEventSeqsIncreasing(events: QueueEvent[]): void {
  for (let i = 1; i < events.length; i += 1) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
}

describe("Loader", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("produces every record once at the configured rate, ledgers it, and completes", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 100, ratePerSec: 100 });
    await vi.advanceTimersByTimeAsync(500);
    // 100/s for 0.5 s: about 50, never the whole task at once.
    expect(kafka.data.length).toBeGreaterThanOrEqual(30);
    expect(kafka.data.length).toBeLessThanOrEqual(75);
    await vi.advanceTimersByTimeAsync(1000);
    expect(loader.outcome()).toEqual({ reason: "completed", exitCode: 0 });
    expect(seqsOf(kafka.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(kafka.data[0]).toMatchObject({ taskId: "loader-1", attempt: 0, seq: 0, payload: "xxxxxxxx" });
    // Data records name their writer, as its ledger records do: the ledger's order check is per writer.
    expect(kafka.data.every((record) => record.writerId === "writer-1")).toBe(true);
    expect(kafka.lastLedger()).toMatchObject({ acked: [[0, 99]], inherited: [], sent: [[0, 99]], complete: true, messages: 100 });
    const ledgerSeqs = kafka.ledger.map((record) => record.ledgerSeq);
    expect(ledgerSeqs).toEqual([...ledgerSeqs].sort((a, b) => a - b));
    expect(kafka.types()[0]).toBe("started");
    expect(kafka.types().at(-1)).toBe("completed");
    expect(kafka.events.at(-1)).toMatchObject({ progress: 100, jobUid: "uid-1", namespace: "streamforge" });
    expect(kafka.events.filter((event) => event.type === "progress").length).toBeGreaterThanOrEqual(2);
    expectEventSeqsIncreasing(kafka.events);
  });

  it("sends heartbeats carrying progress at the configured interval", async () => {
    const kafka = new FakeKafka();
    start(kafka, { messages: 1000, ratePerSec: 10, heartbeatIntervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(3500);
    const heartbeats = kafka.events.filter((event) => event.type === "heartbeat");
    expect(heartbeats.map((event) => event.ts - 1_700_000_000_000)).toEqual([1000, 2000, 3000]);
    expect(heartbeats.at(-1)!.progress).toBeGreaterThan(heartbeats[0]!.progress!);
  });

  it("resumes after the highest contiguous acknowledged seq of earlier attempts", async () => {
    const kafka = new FakeKafka();
    kafka.inherited = RangeSet.fromRanges([[0, 39]]);
    const loader = start(kafka, { messages: 100, attempt: 1, jobName: "loader-1-r1", jobUid: "uid-2" });
    await vi.advanceTimersByTimeAsync(2000);
    expect(loader.outcome()?.exitCode).toBe(0);
    expect(seqsOf(kafka.data)).toEqual(Array.from({ length: 60 }, (_, i) => 40 + i));
    expect(kafka.data.every((record) => record.attempt === 1)).toBe(true);
    expect(kafka.lastLedger()).toMatchObject({ attempt: 1, inherited: [[0, 39]], acked: [[40, 99]], complete: true });
    expect(kafka.events.at(-1)).toMatchObject({ type: "completed", progress: 60 });
  });

  it("does not resend what earlier attempts acknowledged beyond a gap", async () => {
    const kafka = new FakeKafka();
    kafka.inherited = RangeSet.fromRanges([[0, 9], [20, 29]]);
    const loader = start(kafka, { messages: 40 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(loader.outcome()?.exitCode).toBe(0);
    expect(RangeSet.of(...seqsOf(kafka.data)).toJSON()).toEqual([[10, 19], [30, 39]]);
    expect(kafka.data.length).toBe(20);
  });

  it("completes at once when the ledger says the task is done", async () => {
    const kafka = new FakeKafka();
    kafka.inherited = RangeSet.fromRanges([[0, 99]]);
    const loader = start(kafka, { messages: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect(loader.outcome()).toEqual({ reason: "completed", exitCode: 0 });
    expect(kafka.data).toEqual([]);
    expect(kafka.lastLedger()).toMatchObject({ complete: true, acked: [], inherited: [[0, 99]] });
    expect(kafka.types()).toEqual(["started", "progress", "progress", "completed"]);
  });

  it("keeps retrying through a Kafka outage, loses nothing, keeps event order", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 200, ratePerSec: 100 });
    await vi.advanceTimersByTimeAsync(500);
    kafka.down = true;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(loader.outcome()).toBeUndefined();
    const before = kafka.data.length;
    expect(kafka.dataCalls).toBeGreaterThan(5); // retried, with backoff (not a hot loop)
    expect(kafka.dataCalls).toBeLessThan(40);
    kafka.down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loader.outcome()?.exitCode).toBe(0);
    expect(before).toBeLessThan(200);
    expect(seqsOf(kafka.data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(kafka.lastLedger().complete).toBe(true);
    expectEventSeqsIncreasing(kafka.events);
  });

  it("keeps retrying when Kafka is unreachable at start", async () => {
    const kafka = new FakeKafka();
    kafka.down = true;
    const loader = start(kafka, { messages: 10 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(loader.outcome()).toBeUndefined();
    kafka.down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loader.outcome()?.exitCode).toBe(0);
    expect(kafka.types()[0]).toBe("started");
  });

  it("stall: stops every event and all production but keeps running until terminated", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, ratePerSec: 100, fault: "stall-after=2s" });
    await vi.advanceTimersByTimeAsync(2100);
    const events = kafka.events.length;
    const data = kafka.data.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(kafka.events.length).toBe(events);
    expect(kafka.data.length).toBe(data);
    expect(loader.outcome()).toBeUndefined();
    loader.loader.terminate();
    await vi.advanceTimersByTimeAsync(10);
    expect(loader.outcome()).toEqual({ reason: "terminated", exitCode: 143 });
  });

  it("heartbeat-only: heartbeats go on with frozen progress, production and progress events stop", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, ratePerSec: 100, fault: "heartbeat-only-after=2s" });
    await vi.advanceTimersByTimeAsync(2100);
    const data = kafka.data.length;
    const progressEvents = kafka.events.filter((event) => event.type === "progress").length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(kafka.data.length).toBe(data);
    expect(kafka.events.filter((event) => event.type === "progress").length).toBe(progressEvents);
    const later = kafka.events.filter((event) => event.type === "heartbeat" && event.ts >= 1_700_000_002_100);
    expect(later.length).toBe(5);
    expect(new Set(later.map((event) => event.progress))).toEqual(new Set([data]));
    loader.loader.terminate();
    await vi.advanceTimersByTimeAsync(1500);
    expect(loader.outcome()?.exitCode).toBe(143);
  });

  it("crash: calls crash with the configured exit code, without flushing", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, fault: "crash-after=1s,exit=3" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(loader.crashes).toEqual([3]);
    await vi.advanceTimersByTimeAsync(1100);
    expect(loader.outcome()).toEqual({ reason: "crashed", exitCode: 3 });
  });

  it("fatal: reports an error, flushes, exits with the fatal exit code", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, fault: "fatal-after=1s" });
    await vi.advanceTimersByTimeAsync(2500);
    expect(loader.outcome()).toEqual({ reason: "fatal", exitCode: LOADER_FATAL_EXIT_CODE });
    expect(kafka.events.at(-1)).toMatchObject({ type: "error", severity: "error" });
    expect(kafka.events.at(-1)!.message).toMatch(/do not retry/);
  });

  it("critical-error: emits an error event with severity critical and keeps producing", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 300, ratePerSec: 100, fault: "critical-error-after=1s" });
    await vi.advanceTimersByTimeAsync(5000);
    const errors = kafka.events.filter((event) => event.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ severity: "critical" });
    expect(loader.outcome()?.exitCode).toBe(0);
    expect(kafka.data).toHaveLength(300);
  });

  it("rewind: the event seq goes backwards once, then increases again", async () => {
    const kafka = new FakeKafka();
    start(kafka, { messages: 10_000, ratePerSec: 50, progressIntervalMs: 200, fault: "rewind-after=2s,by=3" });
    await vi.advanceTimersByTimeAsync(4000);
    const seqs = kafka.events.map((event) => event.seq);
    const drops = seqs.flatMap((seq, i): [number, number][] => (i > 0 && seq < seqs[i - 1]! ? [[seqs[i - 1]!, seq]] : []));
    expect(drops).toHaveLength(1);
    expect(drops[0]![0] - drops[0]![1]).toBe(3);
  });

  it("SIGTERM while producing: stops promptly with 143 and the ledger covers every ack", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, ratePerSec: 100 });
    await vi.advanceTimersByTimeAsync(1000);
    loader.loader.terminate();
    await vi.advanceTimersByTimeAsync(50);
    expect(loader.outcome()).toEqual({ reason: "terminated", exitCode: 143 });
    expect(kafka.lastLedger().acked).toEqual([[0, kafka.data.length - 1]]);
    expect(kafka.lastLedger().complete).toBe(false);
  });

  it("SIGTERM while Kafka hangs: still resolves within the shutdown budget", async () => {
    const kafka = new FakeKafka();
    const loader = start(kafka, { messages: 10_000, ratePerSec: 100 });
    await vi.advanceTimersByTimeAsync(1000);
    kafka.hang = true;
    await vi.advanceTimersByTimeAsync(5000);
    loader.loader.terminate();
    await vi.advanceTimersByTimeAsync(2100);
    expect(loader.outcome()).toEqual({ reason: "terminated", exitCode: 143 });
  });
});
