/**
 * Retry pacing for "Kafka is gone, keep trying": exponential with full-range jitter around the step, so a
 * fleet of loaders that lost the same broker does not reconnect in lock-step.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0.2 = each delay is the step ±20%. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private step: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  /** Consecutive failures since the last reset: for log lines ("attempt 7"). */
  failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 200;
    this.maxMs = options.maxMs ?? 5000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    this.step = this.initialMs;
  }

  /** The next delay in ms; grows until maxMs. */
  next(): number {
    this.failures += 1;
    const delay = this.step * (1 - this.jitter + 2 * this.jitter * this.random());
    this.step = Math.min(this.maxMs, this.step * this.factor);
    return Math.max(0, Math.round(Math.min(delay, this.maxMs)));
  }

  reset(): void {
    this.step = this.initialMs;
    this.failures = 0;
  }
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (never rejects): callers check the signal after
 * waking. Uses the global timer functions so fake timers in unit tests drive it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Races `promise` against a timeout; resolves `{done: false}` when time ran out (never rejects on timeout). */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type Settled<T> = { status: "ok"; value: T } | { status: "error"; error: unknown } | { status: "aborted" };

/**
 * Waits for `promise`, but gives up `graceMs` (read when the signal fires) after `signal` aborts (the promise goes on unobserved:
 * kafkajs cannot cancel a request). Never rejects. Removes its listener, so a long-lived signal can
 * watch millions of calls without leaking.
 */
export function settle<T>(promise: Promise<T>, signal: AbortSignal, graceMs: number | (() => number) = 0): Promise<Settled<T>> {
  return new Promise((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      graceTimer = setTimeout(() => resolve({ status: "aborted" }), typeof graceMs === "function" ? graceMs() : graceMs);
    };
    const done = (result: Settled<T>) => {
      signal.removeEventListener("abort", onAbort);
      clearTimeout(graceTimer);
      resolve(result);
    };
    promise.then(
      (value) => done({ status: "ok", value }),
      (error: unknown) => done({ status: "error", error }),
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
