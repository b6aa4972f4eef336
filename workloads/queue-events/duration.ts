/**
 * Durations as StreamForge writes them, the one grammar for every reader: scenario files, env vars,
 * fault profiles and the healer's annotations (`healer.streamforge.io/heartbeat-interval`, part of the
 * queue-events contract, which is why this lives beside it). `500ms`, `5s`, `1.5m`, `2h`, or Go-style
 * sums like `1m30s`.
 *
 * A bare number is rejected on purpose: `timeout: 30` could mean seconds or milliseconds, and a wrong
 * guess makes a detector a thousand times too eager or a scenario time out at once.
 */

/** Milliseconds. Every duration after parsing is one of these. */
export type DurationMs = number;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const TERM = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
/** The grammar as a JSON-schema pattern (the scenario schema publishes it). */
export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h))+$";
export const DURATION_EXAMPLES = "e.g. 500ms, 5s, 2m, 1m30s";

export type DurationParse = { ok: true; ms: DurationMs } | { ok: false; reason: string };

export function parseDuration(text: string): DurationParse {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: `empty duration; expected a number with a unit (${DURATION_EXAMPLES})` };
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < trimmed.length) {
    const at = TERM.lastIndex;
    const match = TERM.exec(trimmed);
    if (!match) {
      const rest = trimmed.slice(at);
      const hint = /^\d+(\.\d+)?$/.test(rest) ? " (the unit is missing)" : "";
      return {
        ok: false,
        reason: `invalid duration "${text}": cannot read "${rest}"${hint}; expected a number with a unit ms, s, m or h (${DURATION_EXAMPLES})`,
      };
    }
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return { ok: true, ms: Math.round(total) };
}

/** Milliseconds, or undefined when `text` is not a duration (for callers that report their own error). */
export function parseDurationMs(text: string): DurationMs | undefined {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : undefined;
}

/** Milliseconds in `text`; throws an Error naming `what`, the input and the expected form. */
export function requireDuration(text: string, what: string): DurationMs {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(`${what}: ${parsed.reason}`);
  return parsed.ms;
}

/** Milliseconds back in the largest exact units, for messages, plans and env (`90000` → `1m30s`). */
export function formatDuration(ms: DurationMs): string {
  if (ms === 0) return "0s";
  if (ms < 1_000 || ms % 1_000 !== 0) return `${ms}ms`;
  let seconds = ms / 1_000;
  const parts: string[] = [];
  for (const [unit, size] of [["h", 3600], ["m", 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join("");
}
