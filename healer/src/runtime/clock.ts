/**
 * Time, injected. Detection is measured on a monotonic clock (wall clocks jump: NTP steps, VM
 * migration); the wall clock is only for what must survive a restart or cross hosts (restart history on
 * Job annotations, Kubernetes timestamps, the producer's `ts`).
 */
import { performance } from "node:perf_hooks";

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds from an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
  /** Wall clock, milliseconds since the Unix epoch. */
  wallMs(): number;
  /** Runs `callback` once after `delayMs` (monotonic). */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    // Timers never keep the process alive on their own: shutdown is driven by the HTTP server and the
    // Kafka sockets closing, so a forgotten timer cannot turn SIGTERM into a hang.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Resolves after `delayMs`, or at once (resolving, not rejecting) when `signal` aborts. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Full jitter (AWS architecture blog): uniform in [base/2, base) so restarts of many replicas spread. */
export function jittered(delayMs: number, random: () => number = Math.random): number {
  return delayMs / 2 + (random() * delayMs) / 2;
}

/** Exponential backoff: base × 2^(failures−1), capped. `failures` counts from 1. */
export function exponentialBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}
