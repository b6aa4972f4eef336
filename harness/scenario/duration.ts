/**
 * Durations in scenario files: `500ms`, `5s`, `2m`, `1h`, or Go-style sums like `1m30s`. Parsed into
 * milliseconds at load time so nothing downstream ever sees a string or guesses a unit.
 *
 * A bare number is rejected on purpose: `timeout: 30` could mean seconds or milliseconds, and the
 * difference is the difference between a scenario that works and one that times out at once.
 */
import { z } from "zod";

/** Milliseconds. Every duration inside the engine is one of these. */
export type DurationMs = number;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const TERM = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h))+$";
const EXAMPLES = "e.g. 500ms, 5s, 2m, 1m30s";

export type DurationParse = { ok: true; ms: DurationMs } | { ok: false; reason: string };

export function parseDuration(text: string): DurationParse {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, reason: `empty duration; expected a number with a unit (${EXAMPLES})` };
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
        reason: `invalid duration "${text}": cannot read "${rest}"${hint}; expected a number with a unit ms, s, m or h (${EXAMPLES})`,
      };
    }
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return { ok: true, ms: Math.round(total) };
}

/** Renders milliseconds back in the largest exact unit, for messages and plans (`90000` → `1m30s`). */
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

/** A duration field: a string in the file, milliseconds after parsing. */
export function duration(options: { min?: DurationMs; description?: string } = {}) {
  const min = options.min ?? 0;
  return z
    .string({ error: (issue) => `expected a duration string (${EXAMPLES}), found ${describeInput(issue.input)}` })
    .regex(new RegExp(DURATION_PATTERN), {
      error: (issue) => {
        const parsed = parseDuration(String(issue.input));
        return parsed.ok ? `invalid duration "${String(issue.input)}"` : parsed.reason;
      },
    })
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.reason });
        return z.NEVER;
      }
      if (parsed.ms < min) {
        ctx.addIssue({ code: "custom", message: `duration "${text}" is below the minimum ${formatDuration(min)}` });
        return z.NEVER;
      }
      return parsed.ms;
    })
    .meta({ description: options.description ?? `A duration: a number with a unit ms, s, m or h (${EXAMPLES}).` });
}

export function describeInput(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  return `${typeof input} ${JSON.stringify(input)}`;
}
