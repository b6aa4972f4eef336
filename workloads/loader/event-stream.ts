/**
 * The loader's side of `queue-events`: assigns the per-attempt `seq`, and sends events one at a time,
 * in order, retrying the head until it is acknowledged. Independent sends could overtake each other
 * after a retry, and the healer would read that as a REWIND of a perfectly healthy loader.
 *
 * While Kafka is unreachable events queue up (bounded: the oldest heartbeats and progress events are
 * dropped first — they are superseded by later ones — while started/error/completed are kept).
 */
import { encodeQueueEvent, type QueueEvent, type WorkerEventType } from "../queue-events/contract.ts";
import { Backoff, sleep, withTimeout } from "../shared/backoff.ts";
import { errorFields } from "../shared/kafka-client.ts";
import type { Logger } from "../shared/logger.ts";

export interface EventIdentity {
  jobUid: string;
  jobName: string;
  namespace: string;
  taskId: string;
  attempt: number;
}

export type EventFields = Pick<QueueEvent, "progress" | "severity" | "message">;

export interface EventStreamOptions {
  logger: Logger;
  now: () => number;
  maxQueued?: number;
  backoff?: Backoff;
}

const DROPPABLE: ReadonlySet<WorkerEventType> = new Set(["heartbeat", "progress"]);

export class EventStream {
  private nextSeq = 0;
  private readonly queue: QueueEvent[] = [];
  private muted = false;
  private closed = false;
  private pumping: Promise<void> | undefined;
  private readonly wake = new AbortController();
  private readonly maxQueued: number;
  private readonly backoff: Backoff;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly identity: EventIdentity,
    private readonly send: (event: QueueEvent) => Promise<void>,
    private readonly options: EventStreamOptions,
  ) {
    this.maxQueued = options.maxQueued ?? 1000;
    this.backoff = options.backoff ?? new Backoff({ initialMs: 200, maxMs: 5000 });
  }

  /** Queues an event (validated against the contract now, so a bug fails here, not in the healer). */
  emit(type: WorkerEventType, fields: EventFields = {}): QueueEvent | undefined {
    if (this.muted || this.closed) return undefined;
    const event: QueueEvent = { v: 1, type, ...this.identity, seq: this.nextSeq, ts: this.options.now(), ...fields };
    encodeQueueEvent(event);
    this.nextSeq += 1;
    this.queue.push(event);
    if (this.queue.length > this.maxQueued) {
      // Never drop the head: it may be in flight.
      const index = this.queue.findIndex((queued, i) => i > 0 && DROPPABLE.has(queued.type as WorkerEventType));
      if (index > 0) {
        this.queue.splice(index, 1);
        this.dropped += 1;
      }
    }
    this.kick();
    return event;
  }

  /** Fault `rewind`: the next event's seq is `by` lower than the last one (default: 0). */
  rewind(by?: number): { lastSeq: number; nextSeq: number } {
    const lastSeq = this.nextSeq - 1;
    this.nextSeq = by === undefined ? 0 : Math.max(0, lastSeq - by);
    return { lastSeq, nextSeq: this.nextSeq };
  }

  /** Fault `stall`: nothing more leaves, including what is queued and not yet in flight. */
  mute(): void {
    this.muted = true;
    this.queue.splice(1);
  }

  get pending(): number {
    return this.queue.length;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Resolves true once everything queued was acknowledged, false if `timeoutMs` passed first. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = this.options.now() + timeoutMs;
    while (this.queue.length > 0 && !this.closed) {
      const left = deadline - this.options.now();
      if (left <= 0) return false;
      const pumping = this.pumping ?? Promise.resolve();
      const result = await withTimeout(pumping, left);
      if (!result.done) return false;
      if (this.queue.length > 0 && !this.pumping) this.kick();
    }
    return this.queue.length === 0;
  }

  /** Flushes with no bound other than `signal` (completion must not exit before `completed` is out). */
  async drain(signal: AbortSignal): Promise<boolean> {
    while (this.queue.length > 0 && !signal.aborted && !this.closed) {
      this.kick();
      await Promise.race([this.pumping, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
    }
    return this.queue.length === 0;
  }

  close(): void {
    this.closed = true;
    this.wake.abort();
  }

  private kick(): void {
    if (this.pumping || this.closed) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      try {
        await this.send(head);
        if (this.queue[0] === head) this.queue.shift();
        this.sent += 1;
        this.backoff.reset();
      } catch (error) {
        if (this.muted) {
          // Stalled: a stuck worker does not keep retrying either.
          this.queue.length = 0;
          return;
        }
        const delayMs = this.backoff.next();
        this.options.logger.warn(
          { ...errorFields(error), eventType: head.type, eventSeq: head.seq, queued: this.queue.length, failures: this.backoff.failures, retryInMs: delayMs },
          "queue-events: send failed; retrying the same event",
        );
        await sleep(delayMs, this.wake.signal);
      }
    }
  }
}
