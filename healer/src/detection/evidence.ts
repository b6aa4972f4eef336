/**
 * A stuck verdict in words and fields: the one phrasing of "why" shared by the decision log, the
 * Kubernetes Events and the healer.* events, whether detection or remediation reports it.
 */
import { formatDuration } from "../../../workloads/queue-events/duration.ts";
import type { EventTarget } from "../outputs/events-recorder.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { Verdict } from "./detector.ts";

export function describeEvidence(verdict: Verdict & { kind: "stuck" }): string {
  const { evidence } = verdict;
  if (verdict.reason === "STOP" && evidence.silenceMs !== undefined) {
    return `silent ${formatDuration(Math.round(evidence.silenceMs))} > ${formatDuration(Math.round(evidence.thresholdMs ?? 0))}`;
  }
  if (verdict.reason === "STALL" && evidence.noProgressMs !== undefined) {
    return `no progress for ${formatDuration(Math.round(evidence.noProgressMs))} > ${formatDuration(Math.round(evidence.thresholdMs ?? 0))}`;
  }
  return evidence.detail ?? verdict.reason;
}


/** The decision-log fields of a stuck verdict. */
export function evidenceOf(verdict: Verdict & { kind: "stuck" }, entry: TrackedJob) {
  return {
    reason: verdict.reason,
    silenceMs: verdict.evidence.silenceMs,
    noProgressMs: verdict.evidence.noProgressMs,
    thresholds: entry.thresholds,
  };
}

export function targetOf(entry: TrackedJob): EventTarget {
  return { namespace: entry.namespace, name: entry.name, uid: entry.uid };
}

/** The subject of a healer.* event about a tracked Job. */
export function subjectOf(entry: TrackedJob) {
  return { uid: entry.uid, name: entry.name, namespace: entry.namespace, taskId: entry.taskId, attempt: entry.attempt };
}
