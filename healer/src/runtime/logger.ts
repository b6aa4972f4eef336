/** Structured logs (pino, JSON lines): the one logger every stage writes to. */
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * Default destination: stdout written synchronously. pino's default is asynchronous (buffered), so a
 * healer killed by SIGKILL or the OOM killer lost its last lines — exactly the decision lines that
 * explain what it was doing when it died (found on the lab: the HEALER_FAULT_POINT line before the
 * SIGKILL went missing). The healer logs a few lines per decision, not per event, so this costs nothing.
 */
export function createLogger(level: string, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { service: "healer" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
