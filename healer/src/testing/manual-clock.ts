/** Simulated time for the healer's tests: a `Clock` that moves only when told to. */
import type { Clock, TimerHandle } from "../runtime/clock.ts";

interface ManualTimer {
  dueMs: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * Simulated time for tests (unit and in-process integration): nothing happens until `advance`.
 * Between timers it lets pending promise chains run, so async code driven by timers behaves as with
 * real time, only instantly and deterministically.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private wallOffsetMs: number;
  private readonly timers: ManualTimer[] = [];
  private order = 0;

  constructor(options: { startMs?: number; wallStartMs?: number } = {}) {
    this.nowMs = options.startMs ?? 1_000_000;
    this.wallOffsetMs = (options.wallStartMs ?? Date.UTC(2025, 0, 1)) - this.nowMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.nowMs + this.wallOffsetMs;
  }

  /** Steps the wall clock only (NTP step): detection must not notice. */
  stepWallClock(deltaMs: number): void {
    this.wallOffsetMs += deltaMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: ManualTimer = { dueMs: this.nowMs + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward by `deltaMs`, firing due timers in order and settling promises in between. */
  async advance(deltaMs: number): Promise<void> {
    const target = this.nowMs + deltaMs;
    await flushPromises();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.nowMs = Math.max(this.nowMs, next.dueMs);
      next.callback();
      await flushPromises();
    }
    this.nowMs = target;
    await flushPromises();
  }

  private nextDue(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (let index = this.timers.length - 1; index >= 0; index--) {
      const timer = this.timers[index]!;
      if (timer.cancelled) {
        this.timers.splice(index, 1);
        continue;
      }
      if (timer.dueMs > limitMs) continue;
      if (!best || timer.dueMs < best.dueMs || (timer.dueMs === best.dueMs && timer.order < best.order)) best = timer;
    }
    return best;
  }
}

/** Lets every already-resolved promise continuation run (a few macrotask turns for chained awaits). */
export async function flushPromises(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
