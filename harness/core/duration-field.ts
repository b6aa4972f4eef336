/**
 * The scenario schema's duration field: a string in the file (the grammar of
 * workloads/queue-events/duration.ts), milliseconds after parsing, so nothing downstream ever sees a
 * string or guesses a unit.
 */
import { z } from "zod";
import { DURATION_EXAMPLES as EXAMPLES, DURATION_PATTERN, formatDuration, parseDuration, type DurationMs } from "../../workloads/queue-events/duration.ts";

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
