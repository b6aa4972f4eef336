/**
 * Per-Job detection thresholds: the global defaults, overridden by the Job's annotations when the
 * override is safe. An override below 3× the declared heartbeat interval is rejected (two lost
 * heartbeats must never look like a hang), and so is a silence threshold the circuit breaker's canary
 * cannot beat (a stalled event stream must open the breaker before that Job looks silent).
 */
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import type { DetectionThresholds } from "../runtime/config.ts";
import { formatDuration, parseDurationMs } from "../../../workloads/queue-events/duration.ts";

export interface ResolvedThresholds {
  thresholds: DetectionThresholds;
  /** One human-readable line per rejected annotation (empty when all were accepted or absent). */
  rejected: string[];
}

export function resolveThresholds(
  annotations: Record<string, string> | undefined,
  defaults: DetectionThresholds,
  canaryTimeoutMs: number,
): ResolvedThresholds {
  const rejected: string[] = [];
  const d = formatDuration;

  let heartbeatIntervalMs = defaults.heartbeatIntervalMs;
  const heartbeatText = annotations?.[ANNOTATIONS.heartbeatInterval];
  if (heartbeatText !== undefined) {
    const value = parseDurationMs(heartbeatText);
    if (value === undefined || value <= 0) {
      rejected.push(`${ANNOTATIONS.heartbeatInterval}="${heartbeatText}" is not a positive duration (like 10s); using ${d(heartbeatIntervalMs)}`);
    } else {
      heartbeatIntervalMs = value;
    }
  }
  const minimumMs = 3 * heartbeatIntervalMs;

  const override = (key: string, fallbackMs: number, extraFloorMs: number, extraFloorWhy: string): number => {
    const fallback = Math.max(fallbackMs, minimumMs);
    const text = annotations?.[key];
    if (text === undefined) return fallback;
    const value = parseDurationMs(text);
    if (value === undefined) {
      rejected.push(`${key}="${text}" is not a duration (like 60s); using ${d(fallback)}`);
      return fallback;
    }
    if (value < minimumMs) {
      rejected.push(`${key}=${d(value)} is below 3 × heartbeat interval (${d(heartbeatIntervalMs)}) = ${d(minimumMs)}; using ${d(fallback)}`);
      return fallback;
    }
    if (value <= extraFloorMs) {
      rejected.push(`${key}=${d(value)} must exceed ${extraFloorWhy} (${d(extraFloorMs)}); using ${d(fallback)}`);
      return fallback;
    }
    return value;
  };

  const silenceThresholdMs = override(
    ANNOTATIONS.silenceThreshold,
    defaults.silenceThresholdMs,
    canaryTimeoutMs + heartbeatIntervalMs,
    "canary timeout + heartbeat interval",
  );
  const noProgressThresholdMs = override(ANNOTATIONS.noProgressThreshold, defaults.noProgressThresholdMs, 0, "zero");
  return {
    thresholds: { heartbeatIntervalMs, silenceThresholdMs, noProgressThresholdMs, gracePeriodMs: defaults.gracePeriodMs },
    rejected,
  };
}
