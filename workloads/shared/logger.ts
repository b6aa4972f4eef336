/**
 * One JSON line per log event on stdout (what `kubectl logs` and the sim's pod logs keep). Level from
 * LOG_LEVEL (default info). pino writes synchronously to fd 1 by default, so a deliberate crash
 * (`process.exit`) does not lose the last lines.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(program: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level: process.env["LOG_LEVEL"] ?? "info",
    base: { program, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
