/**
 * `eventually`: the one waiting verb of lab tests. Polls `probe` until `accept` holds or the deadline
 * passes; on timeout the error says what was awaited and shows the last observed value, so a failing
 * test explains itself.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface EventuallyOptions {
  timeoutMs: number;
  intervalMs?: number;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs, intervalMs = 250 }: EventuallyOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const observed = lastError ? `last error: ${(lastError as Error).message}` : `last observed: ${JSON.stringify(last, null, 1)?.slice(0, 2000)}`;
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; ${observed}`);
    }
    await sleep(intervalMs);
  }
}
