/**
 * A work queue keyed by Job UID, with client-go's semantics: a key is queued at most once, is handed
 * to at most one worker at a time (a key added while it is being processed is queued again when that
 * worker is done), can be delayed, and is retried with per-key exponential backoff on errors.
 */
import { type Clock, exponentialBackoffMs, type TimerHandle } from "../runtime/clock.ts";

export interface ReconcileResult {
  /** Look at this key again after this long (polling an in-flight remediation). */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  onError?: (key: string, error: unknown, retries: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { dueMs: number; timer: TimerHandle }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds `key` after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const dueMs = this.clock.monotonicMs() + delayMs;
    const existing = this.delayed.get(key);
    if (existing && existing.dueMs <= dueMs) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { dueMs, timer });
  }

  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delayMs = exponentialBackoffMs(failures, this.options.retryBaseMs, this.options.retryMaxMs);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retriesOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Queued (not delayed, not processing) keys. */
  get length(): number {
    return this.queue.length;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  isPending(key: string): boolean {
    return this.dirty.has(key) || this.processing.has(key) || this.delayed.has(key);
  }

  /** Next key, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Stops handing out keys; keys being processed finish (their workers call `done`). */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const wake of this.waiters.splice(0)) wake(undefined);
  }

  /** Resolves when no key is being processed. */
  whenIdle(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs `workers` loops until shut down; each reconcile of one key is exclusive for that key. */
  run(workers: number, reconcile: Reconcile): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          const result = await reconcile(key);
          this.forget(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (error) {
          const retries = this.retriesOf(key) + 1;
          this.options.onError?.(key, error, retries);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    return Promise.all(Array.from({ length: workers }, loop)).then(() => undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}
