/**
 * Structured logs (pino, JSON lines). Every decision the healer takes about a Job is exactly one line
 * with its evidence, so "why did the healer restart loader-3 at 12:04?" is answered by one grep.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import type { DetectionThresholds } from "./config.ts";
import type { RemediationAction, RemediationResult } from "./metrics.ts";

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

export interface Decision {
  /** What the healer decided to do (or not): detect, replace, resume, give-up, suppress, zombie, ... */
  action: RemediationAction | "detect" | "suppress" | "zombie" | "activate" | "verify";
  result: RemediationResult | "detected" | "reported" | "waiting" | "stalled" | "lingering";
  uid: string;
  job: string;
  namespace: string;
  taskId: string;
  attempt: number;
  reason?: string;
  silenceMs?: number;
  noProgressMs?: number;
  thresholds?: DetectionThresholds;
  breaker: { state: string; reasons: readonly string[] };
  leader: boolean;
  dryRun: boolean;
  replacement?: { name: string; uid?: string };
  detail?: string;
}

export class DecisionLog {
  constructor(private readonly logger: Logger) {}

  record(decision: Decision): void {
    const failed = decision.result === "error" || decision.result === "stalled";
    this.logger[failed ? "warn" : "info"]({ decision: true, ...decision }, `${decision.action}: ${decision.result}`);
  }
}
