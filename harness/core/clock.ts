/**
 * Time, injected: the runner, faults and timing assertions read the clock and sleep through this, so
 * unit tests can use a manual clock and never wait for real seconds.
 */
export interface Clock {
  /** Wall-clock ms since the epoch (timeline timestamps are correlated with Kubernetes events by it). */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      // Timers run on the monotonic clock and may fire a millisecond before Date.now() reaches the
      // deadline; a window that must have closed by `now()` (stableFor) would then look cut short.
      const deadline = Date.now() + Math.max(0, ms);
      let timer: NodeJS.Timeout;
      const arm = () => {
        timer = setTimeout(() => {
          if (Date.now() < deadline) return arm();
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, Math.max(0, deadline - Date.now()));
      };
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      arm();
    }),
};

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError(String(signal.reason ?? "aborted"));
}

/** Thrown into work in progress when the run is interrupted (SIGINT/SIGTERM, scenario timeout). */
export class AbortedError extends Error {
  override name = "AbortedError";
}

/**
 * A manual clock for tests: `sleep` resolves when `advance` moves time past its deadline. Timers fire in
 * deadline order, and each firing yields to the microtask queue so awaiting code runs before the next.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; resolve: () => void }[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer = { at: this.current + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((candidate) => candidate !== timer);
          reject(abortReason(signal));
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Advances in steps until `done` settles: for driving code that sleeps in loops. */
  async runUntil<T>(done: Promise<T>, stepMs = 100, maxMs = 3_600_000): Promise<T> {
    let settled = false;
    const tracked = done.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    for (let elapsed = 0; !settled && elapsed <= maxMs; elapsed += stepMs) await this.advance(stepMs);
    return tracked;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
