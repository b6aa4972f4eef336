/**
 * Durations as people write them in env vars, fault profiles and annotations: `500ms`, `5s`, `1.5m`,
 * `2h`. A unit is required: a bare `5` is ambiguous (seconds? ms?) and is rejected with a hint.
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Milliseconds in `text`; throws an Error naming `what`, the input, and the expected form. */
export function parseDuration(text: string, what: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new Error(`${what}: expected a duration like 500ms, 5s, 2m or 1h, found ${JSON.stringify(text)}`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** The shortest exact form: 5000 → `5s`, 1500 → `1500ms`, 120000 → `2m`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms > 0 && ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  if (ms > 0 && ms % UNIT_MS.s === 0) return `${ms / UNIT_MS.s}s`;
  return `${ms}ms`;
}
