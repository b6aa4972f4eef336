/**
 * Polling with a deadline and progress lines: what the providers use to wait for things that take minutes
 * (Kafka Ready, a broker pod coming back) so the user sees where it stands instead of a silent minute.
 */

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type PollOutcome<T> = { done: true; value: T } | { done: false; progress: string };

export interface PollOptions<T> {
  /** What is awaited, as in "waiting for <what>". */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  /** How often a progress line is logged (0 = never). */
  progressEveryMs: number;
  clock: Clock;
  log: (line: string) => void;
  check: () => Promise<PollOutcome<T>>;
  /** The error to throw at the deadline, given the last progress text. */
  timeoutError: (lastProgress: string, waitedMs: number) => Error;
}

export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
  const { clock } = options;
  const startedAt = clock.now();
  let lastLoggedAt = startedAt;
  let lastProgress = "nothing observed yet";
  for (;;) {
    const outcome = await options.check();
    if (outcome.done) return outcome.value;
    lastProgress = outcome.progress;
    const now = clock.now();
    if (now - startedAt >= options.timeoutMs) throw options.timeoutError(lastProgress, now - startedAt);
    if (options.progressEveryMs > 0 && now - lastLoggedAt >= options.progressEveryMs) {
      options.log(`  … waiting for ${options.what} (${formatDuration(now - startedAt)}): ${lastProgress}`);
      lastLoggedAt = now;
    }
    await clock.sleep(options.intervalMs);
  }
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}
