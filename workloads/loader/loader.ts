/**
 * The loader: produces the task's sequence-numbered records at the configured rate, keeps the ledger of
 * acknowledged sequence numbers, reports `queue-events`, and misbehaves on purpose when a fault profile
 * says so. Kafka is behind `LoaderTransport` so the whole behaviour runs in unit tests with fakes and
 * simulated time; `main.ts` wires the real kafkajs transport and the process (signals, exit codes).
 *
 * Life of an attempt:
 *   started → (heartbeats from here on) → resume from the ledger → produce batch → ack → ledger record →
 *   progress → ... → final ledger record (complete) → progress → completed → exit 0
 *
 * Every Kafka step is retried with backoff until it succeeds, the process is told to stop, or a fault
 * halts production; a loader cut off from Kafka keeps trying (the healer decides whether it is stuck).
 * A failed batch is resent identically: with the idempotent producer the broker then drops the copy of
 * a write whose ack was lost, instead of storing it twice.
 */
import { randomUUID } from "node:crypto";
import { LOADER_FATAL_EXIT_CODE, type QueueEvent } from "../queue-events/contract.ts";
import type { DataRecord } from "../ledger/data-record.ts";
import type { LedgerRecord } from "../ledger/ledger-record.ts";
import { RangeSet } from "../ledger/range-set.ts";
import { Backoff, settle, sleep, withTimeout } from "../shared/backoff.ts";
import { formatDuration } from "../queue-events/duration.ts";
import { errorFields } from "../shared/kafka-client.ts";
import type { Logger } from "../shared/logger.ts";
import type { LoaderConfig } from "./config.ts";
import { EventStream } from "./event-stream.ts";
import { formatFaultProfile, type Fault } from "./fault-profile.ts";
import { TERMINATED_EXIT_CODE, type LoaderOptions, type LoaderOutcome, type LoaderTransport } from "./loader-contract.ts";

/**
 * How long a halted loader still waits for the ack of the batch in flight (so that the ack makes it
 * into the ledger): longer for a fault, shorter for SIGTERM, which must finish in a couple of seconds.
 */
const IN_FLIGHT_GRACE_MS = { fault: 1000, terminate: 300 } as const;

type Mode = "producing" | "stalled" | "heartbeat-only" | "fatal" | "finished";

export class Loader {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly writerId: string;
  private readonly events: EventStream;
  private readonly shutdownBudgetMs: number;
  private readonly newBackoff: () => Backoff;

  private mode: Mode = "producing";
  /** Set by terminate(); every retry loop and sleep watches it. */
  private readonly stop = new AbortController();
  /** Aborted when production must pause at once (a fault halted it, or SIGTERM). */
  private readonly halt = new AbortController();
  private crashed: number | undefined;

  private inherited = new RangeSet();
  /** The whole task's acknowledged set: inherited ∪ mine. */
  private readonly taskAcked = new RangeSet();
  private readonly mine = new RangeSet();
  private readonly sent = new RangeSet();
  private ledgerSeq = 0;
  private ledgerDirty = false;
  private lastProgressAt = Number.NEGATIVE_INFINITY;
  private lastProgressValue = -1;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly faultTimers: NodeJS.Timeout[] = [];
  private readonly payload: string;

  constructor(
    private readonly config: LoaderConfig,
    private readonly transport: LoaderTransport,
    private readonly options: LoaderOptions,
  ) {
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.writerId = options.writerId ?? randomUUID();
    this.shutdownBudgetMs = options.shutdownBudgetMs ?? 1500;
    this.payload = "x".repeat(config.payloadBytes);
    this.newBackoff = options.newBackoff ?? (() => new Backoff({ initialMs: 250, maxMs: 5000 }));
    this.events = new EventStream(
      {
        jobUid: config.jobUid,
        jobName: config.jobName,
        namespace: config.namespace,
        taskId: config.taskId,
        attempt: config.attempt,
      },
      (event) => transport.sendEvent(event),
      { logger: this.logger.child({ component: "queue-events" }), now: this.now },
    );
  }

  /** Records acknowledged by this attempt: the `progress` of its events. */
  get progress(): number {
    return this.mine.count;
  }

  get eventsDropped(): number {
    return this.events.dropped;
  }

  /** SIGTERM: stop producing, flush what can be flushed within the budget, resolve run() with 143. */
  terminate(): void {
    if (this.stop.signal.aborted) return;
    this.logger.info({ mode: this.mode, acked: this.mine.count }, "terminating: flushing ledger and events");
    this.stop.abort();
    this.halt.abort();
  }

  async run(): Promise<LoaderOutcome> {
    const { config } = this;
    this.logger.info(
      {
        messages: config.messages,
        ratePerSec: config.ratePerSec,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        fault: formatFaultProfile(config.faults),
        ...(config.configuredFaults.length > config.faults.length
          ? { faultNotApplied: formatFaultProfile(config.configuredFaults), faultAttempts: config.faultAttempts }
          : {}),
        writerId: this.writerId,
      },
      "loader starting",
    );
    this.events.emit("started", { progress: 0, message: `writer ${this.writerId}; ${config.messages} records at ${config.ratePerSec}/s` });
    this.startHeartbeats();
    this.scheduleFaults();
    try {
      await this.resume();
      if (this.isHalted()) return await this.outcome();
      await this.produce();
      return await this.outcome();
    } finally {
      this.mode = "finished";
      clearInterval(this.heartbeatTimer);
      for (const timer of this.faultTimers) clearTimeout(timer);
      this.events.close();
    }
  }

  private async resume(): Promise<void> {
    const backoff = this.newBackoff();
    while (!this.isHalted()) {
      const read = await settle(this.transport.readAcked(this.config.taskId), this.halt.signal);
      if (read.status === "ok") {
        this.inherited = read.value;
        break;
      }
      if (read.status === "aborted") return;
      const retryInMs = backoff.next();
      this.logger.warn({ ...errorFields(read.error), failures: backoff.failures, retryInMs }, "reading the task's ledger failed; retrying");
      await sleep(retryInMs, this.halt.signal);
    }
    if (this.isHalted()) return;
    this.taskAcked.merge(this.inherited);
    const resumeAt = this.taskAcked.nextMissing(0);
    this.logger.info(
      { inherited: this.inherited.toString() || "none", inheritedCount: this.inherited.count, resumeAt },
      this.inherited.isEmpty ? "no earlier acknowledgements for this task: starting at seq 0" : `resuming the task at seq ${resumeAt}`,
    );
    this.events.emit("progress", { progress: 0, message: `resuming at seq ${resumeAt} of ${this.config.messages}` });
    this.ledgerDirty = true;
    await this.writeLedger();
  }

  private async produce(): Promise<void> {
    const { config } = this;
    const capacity = Math.max(1, Math.min(config.maxBatch, Math.floor((config.ratePerSec * config.batchWindowMs) / 1000)));
    let tokens = 1;
    let refilledAt = this.now();
    let cursor = this.taskAcked.nextMissing(0);
    const backoff = this.newBackoff();

    while (cursor < config.messages && !this.isHalted()) {
      const now = this.now();
      tokens = Math.min(capacity, tokens + ((now - refilledAt) * config.ratePerSec) / 1000);
      refilledAt = now;
      // Contiguous run of not-yet-acknowledged numbers starting at cursor (skipping what earlier writers acked).
      const nextAcked = this.taskAcked.nextPresent(cursor);
      const runEnd = Math.min(config.messages - 1, nextAcked === undefined ? Number.MAX_SAFE_INTEGER : nextAcked - 1);
      const wanted = Math.min(capacity, runEnd - cursor + 1);
      if (tokens < wanted) {
        await sleep(Math.max(1, Math.ceil(((wanted - tokens) * 1000) / config.ratePerSec)), this.halt.signal);
        continue;
      }
      const first = cursor;
      const last = cursor + wanted - 1;
      tokens -= wanted;
      const records = this.buildRecords(first, last);
      this.sent.addRange(first, last);
      if (!(await this.sendBatch(records, backoff))) break;
      this.taskAcked.addRange(first, last);
      this.mine.addRange(first, last);
      this.ledgerDirty = true;
      // The acks happened: record them even if a fault halted production meanwhile (the ledger is the
      // truth about acknowledgements, not an event).
      await this.writeLedger();
      this.maybeProgress();
      cursor = this.taskAcked.nextMissing(last + 1);
    }
  }

  private buildRecords(first: number, last: number): DataRecord[] {
    const ts = this.now();
    const { taskId, attempt } = this.config;
    const { writerId, payload } = this;
    return Array.from({ length: last - first + 1 }, (_, i) => ({ taskId, attempt, seq: first + i, ts, payload, writerId }));
  }

  private async sendBatch(records: DataRecord[], backoff: Backoff): Promise<boolean> {
    const first = records[0]!.seq;
    const last = records.at(-1)!.seq;
    for (;;) {
      if (this.isHalted()) return false;
      // On a halt, give the batch in flight a moment: if its ack arrives it is recorded in the ledger.
      const sent = await settle(this.transport.sendData(records), this.halt.signal, () =>
        this.stop.signal.aborted ? IN_FLIGHT_GRACE_MS.terminate : IN_FLIGHT_GRACE_MS.fault,
      );
      if (sent.status === "ok") {
        if (backoff.failures > 0) this.logger.info({ first, last, failures: backoff.failures }, "data batch acknowledged after retries");
        backoff.reset();
        return true;
      }
      if (sent.status === "aborted") return false;
      if (this.isHalted()) return false;
      const retryInMs = backoff.next();
      this.logger.warn(
        { ...errorFields(sent.error), first, last, failures: backoff.failures, retryInMs },
        "producing a data batch failed; resending the same batch",
      );
      await sleep(retryInMs, this.halt.signal);
    }
  }

  /** Writes the cumulative ledger record; retries the identical record until acknowledged or stopped. */
  private async writeLedger(): Promise<boolean> {
    if (!this.ledgerDirty) return true;
    const record = this.ledgerRecord();
    const backoff = this.newBackoff();
    for (;;) {
      if (this.stop.signal.aborted) return false;
      const written = await settle(this.transport.sendLedger(record), this.stop.signal);
      if (written.status === "ok") {
        this.ledgerDirty = false;
        return true;
      }
      if (written.status === "aborted") return false;
      const retryInMs = backoff.next();
      this.logger.warn(
        { ...errorFields(written.error), ledgerSeq: record.ledgerSeq, failures: backoff.failures, retryInMs },
        "writing the ledger failed; resending the same record",
      );
      await sleep(retryInMs, this.stop.signal);
    }
  }

  private ledgerRecord(): LedgerRecord {
    const { config } = this;
    return {
      v: 1,
      taskId: config.taskId,
      attempt: config.attempt,
      jobUid: config.jobUid,
      jobName: config.jobName,
      writerId: this.writerId,
      ledgerSeq: this.ledgerSeq++,
      ts: this.now(),
      messages: config.messages,
      acked: this.mine.toJSON(),
      inherited: this.inherited.toJSON(),
      sent: this.sent.toJSON(),
      complete: this.isComplete(),
    };
  }

  private isComplete(): boolean {
    return this.config.messages === 0 || this.taskAcked.containsRange(0, this.config.messages - 1);
  }

  private maybeProgress(force = false): void {
    if (this.mode !== "producing" && !(force && this.mode === "finished")) return;
    const now = this.now();
    if (!force && now - this.lastProgressAt < this.config.progressIntervalMs) return;
    if (!force && this.mine.count === this.lastProgressValue) return;
    this.lastProgressAt = now;
    this.lastProgressValue = this.mine.count;
    this.events.emit("progress", { progress: this.mine.count });
  }

  private startHeartbeats(): void {
    this.heartbeatTimer = setInterval(() => {
      if (this.mode === "producing" || this.mode === "heartbeat-only") {
        this.events.emit("heartbeat", { progress: this.mine.count });
      }
    }, this.config.heartbeatIntervalMs);
  }

  private scheduleFaults(): void {
    for (const fault of this.config.faults) {
      this.faultTimers.push(setTimeout(() => this.inject(fault), fault.afterMs));
    }
  }

  private inject(fault: Fault): void {
    if (this.mode === "finished" || this.stop.signal.aborted) return;
    const profile = formatFaultProfile([fault]);
    this.logger.warn({ fault: profile, acked: this.mine.count, eventSeq: this.events.lastSeq }, `fault injected: ${profile}`);
    switch (fault.kind) {
      case "stall":
        this.mode = "stalled";
        this.events.mute();
        this.halt.abort();
        return;
      case "heartbeat-only":
        this.mode = "heartbeat-only";
        this.halt.abort();
        return;
      case "crash":
        this.crashed = fault.exitCode;
        this.options.crash(fault.exitCode);
        this.stop.abort();
        this.halt.abort();
        return;
      case "fatal":
        this.events.emit("error", {
          severity: "error",
          message: `fatal error (fault ${profile}); exiting with ${LOADER_FATAL_EXIT_CODE}: do not retry`,
          progress: this.mine.count,
        });
        this.mode = "fatal";
        this.halt.abort();
        return;
      case "critical-error":
        this.events.emit("error", {
          severity: "critical",
          message: `critical error (fault ${profile}); still running`,
          progress: this.mine.count,
        });
        return;
      case "rewind": {
        const { lastSeq, nextSeq } = this.events.rewind(fault.by);
        this.logger.warn({ lastSeq, nextSeq }, "event seq rewound");
        return;
      }
    }
  }

  private isHalted(): boolean {
    return this.halt.signal.aborted;
  }

  private async outcome(): Promise<LoaderOutcome> {
    if (this.crashed !== undefined) return { reason: "crashed", exitCode: this.crashed };
    if (this.mode === "fatal") {
      await this.flushWithin(this.shutdownBudgetMs);
      return { reason: "fatal", exitCode: LOADER_FATAL_EXIT_CODE };
    }
    if (!this.stop.signal.aborted && (this.mode === "stalled" || this.mode === "heartbeat-only")) {
      this.logger.warn({ mode: this.mode }, "production halted by fault; idling until terminated");
      await new Promise((resolve) => this.stop.signal.addEventListener("abort", resolve, { once: true }));
    }
    if (this.stop.signal.aborted) {
      if (this.mode !== "stalled") await this.flushWithin(this.shutdownBudgetMs);
      return { reason: "terminated", exitCode: TERMINATED_EXIT_CODE };
    }

    // Completed: the last ledger record says so, then the events; neither is skipped on a Kafka outage.
    this.mode = "finished";
    this.ledgerDirty = true;
    if (!(await this.writeLedger())) return { reason: "terminated", exitCode: TERMINATED_EXIT_CODE };
    this.maybeProgress(true);
    this.events.emit("completed", {
      progress: this.mine.count,
      message: `task complete: ${this.config.messages} records; ${this.mine.count} by this attempt, ${this.inherited.count} by earlier ones`,
    });
    const drained = await this.events.drain(this.stop.signal);
    if (!drained) return { reason: "terminated", exitCode: TERMINATED_EXIT_CODE };
    this.logger.info({ acked: this.mine.count, inherited: this.inherited.count, eventsSent: this.events.sent }, "task complete");
    return { reason: "completed", exitCode: 0 };
  }

  /** Best effort within budget: the current ledger record, then queued events. */
  private async flushWithin(budgetMs: number): Promise<void> {
    const deadline = this.now() + budgetMs;
    if (this.ledgerDirty) {
      const record = this.ledgerRecord();
      const result = await withTimeout(
        this.transport.sendLedger(record).then(
          () => true,
          () => false,
        ),
        Math.max(0, (deadline - this.now()) / 2),
      );
      if (!result.done || !result.value) this.logger.warn({ ledgerSeq: record.ledgerSeq }, "last ledger record not acknowledged before shutdown");
    }
    const flushed = await this.events.flush(Math.max(0, deadline - this.now()));
    if (!flushed) this.logger.warn({ pending: this.events.pending }, "events not flushed before shutdown");
    this.logger.info({ budget: formatDuration(budgetMs) }, "flushed");
  }
}
