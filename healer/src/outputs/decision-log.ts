/**
 * The decision log: every decision the healer takes about a Job is exactly one line
 * with its evidence, so "why did the healer restart loader-3 at 12:04?" is answered by one grep.
 */
import type { DetectionThresholds } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import type { RemediationAction, RemediationResult } from "./metrics.ts";

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
