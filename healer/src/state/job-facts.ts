/**
 * What a Job or Pod object says, as pure functions: identity (task, attempt), lifecycle, and how a
 * failed Job failed. The healer decides on these facts only, never on a Job's name.
 */
import { ANNOTATIONS, LABELS } from "../../../workloads/queue-events/contract.ts";
import type { Condition, JobJson, PodJson } from "../kube/kube-types.ts";

/**
 * Annotations only the healer reads and writes (the shared ones live in the queue-events contract).
 * `replacementPending` marks a replacement the healer created suspended and has not yet activated:
 * it is the crash-safety journal of an in-flight remediation, kept on the object itself.
 */
export const HEALER_ANNOTATIONS = {
  replacementPending: "healer.streamforge.io/replacement-pending",
  /** Name of the Job a replacement replaced (its UID is the contract's replaces-uid): for Events after the old one is gone. */
  replacesName: "healer.streamforge.io/replaces-name",
  /** TEST HOOK only (HEALER_FAULT_POINT): the fault point already killed a healer acting on this Job. */
  faultPointFired: "healer.streamforge.io/fault-point-fired",
} as const;

/** Labels the Job controller puts on a Job's pods (new and legacy spelling). */
export const JOB_CONTROLLER_UID_LABELS = ["batch.kubernetes.io/controller-uid", "controller-uid"] as const;
export const JOB_NAME_LABELS = ["batch.kubernetes.io/job-name", "job-name"] as const;

export type JobLifecycle =
  /** Running (or about to): the detector judges it. */
  | "active"
  | "suspended"
  /** A replacement the healer created suspended; it is activated once the old attempt's pods are gone. */
  | "pending-replacement"
  | "deleting"
  | "complete"
  /** Failed by the loader's own "fatal, do not retry" exit (podFailurePolicy FailJob): terminal. */
  | "failed-fatal"
  /** Failed because its pods were disrupted (deleted, evicted): did not fail by itself, is replaced. */
  | "failed-disrupted"
  /** Failed otherwise (backoff limit of genuine crashes, deadline): the Job controller already retried. */
  | "failed-other"
  | "gave-up";

export function labelOf(job: { metadata: { labels?: Record<string, string> } }, key: string): string | undefined {
  return job.metadata.labels?.[key];
}

export function annotationOf(job: { metadata: { annotations?: Record<string, string> } }, key: string): string | undefined {
  return job.metadata.annotations?.[key];
}

/** Task id: stable across replacements. Falls back to the Job name for Jobs created without the label. */
export function taskIdOf(job: JobJson): string {
  return labelOf(job, LABELS.taskId) ?? job.metadata.name ?? "";
}

/** Attempt number: 0 for the original Job, N for the N-th replacement. */
export function attemptOf(job: JobJson): number {
  const text = labelOf(job, LABELS.attempt);
  const value = text === undefined ? 0 : Number(text);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export function conditionOf(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type && condition.status === "True");
}

/** The reason a Job failed, when it did (FailureTarget comes first since k8s 1.31, Failed once pods are gone). */
export function failureOf(job: JobJson): Condition | undefined {
  return conditionOf(job.status?.conditions, "Failed") ?? conditionOf(job.status?.conditions, "FailureTarget");
}

export function isComplete(job: JobJson): boolean {
  return (
    conditionOf(job.status?.conditions, "Complete") !== undefined ||
    conditionOf(job.status?.conditions, "SuccessCriteriaMet") !== undefined
  );
}

/**
 * Evidence that a Job's pods were disrupted rather than failing by themselves. `podDeletionObserved`
 * comes from the pod informer (a pod of this Job got a deletionTimestamp while the Job was running).
 */
export interface DisruptionEvidence {
  disruptionTarget: boolean;
  podDeletionObserved: boolean;
}

/** Pods of a Job, fresh from the API: DisruptionTarget on any, or failures the remaining pods cannot explain. */
export function disruptionEvidenceFromPods(job: JobJson, pods: PodJson[]): DisruptionEvidence {
  const disruptionTarget = pods.some((pod) => conditionOf(pod.status?.conditions, "DisruptionTarget") !== undefined);
  const failedPodsPresent = pods.filter((pod) => pod.status?.phase === "Failed" && !pod.metadata.deletionTimestamp).length;
  const podDeletionObserved =
    pods.some((pod) => pod.metadata.deletionTimestamp !== undefined) || failedPodsUnaccounted(job, failedPodsPresent);
  return { disruptionTarget, podDeletionObserved };
}

/**
 * A Job keeps its failed pods, so more failures counted than failed pods present means a failed pod
 * was deleted — the deletion, not the loader, failed it. Only for single-pod Jobs: when a parallel Job
 * fails, the Job controller itself deletes the other active pods and counts them as failed.
 */
export function failedPodsUnaccounted(job: JobJson, failedPodsPresent: number): boolean {
  const parallelism = typeof job.spec?.parallelism === "number" ? job.spec.parallelism : 1;
  return parallelism <= 1 && (job.status?.failed ?? 0) > failedPodsPresent;
}

export function jobLifecycle(job: JobJson, evidence: DisruptionEvidence): JobLifecycle {
  if (job.metadata.deletionTimestamp) return "deleting";
  if (isComplete(job)) return "complete";
  if (annotationOf(job, ANNOTATIONS.gaveUp) !== undefined) return "gave-up";
  const failure = failureOf(job);
  if (failure) {
    if (failure.reason === "PodFailurePolicy") return "failed-fatal";
    if (evidence.disruptionTarget) return "failed-disrupted";
    if (failure.reason === "BackoffLimitExceeded" && evidence.podDeletionObserved) return "failed-disrupted";
    return "failed-other";
  }
  if (job.spec?.suspend === true) {
    return annotationOf(job, HEALER_ANNOTATIONS.replacementPending) !== undefined ? "pending-replacement" : "suspended";
  }
  return "active";
}

/** A Job's pods point at it by controller ownerReference (authoritative) or by the controller-uid label. */
export function jobUidOfPod(pod: PodJson): string | undefined {
  const owner = pod.metadata.ownerReferences?.find((reference) => reference.controller && reference.kind === "Job");
  if (owner) return owner.uid;
  for (const label of JOB_CONTROLLER_UID_LABELS) {
    const uid = pod.metadata.labels?.[label];
    if (uid) return uid;
  }
  return undefined;
}

export function isPodReady(pod: PodJson): boolean {
  return conditionOf(pod.status?.conditions, "Ready") !== undefined;
}

/** Succeeded/Failed: its containers are done, whatever the object's own deletion state. */
export function isPodTerminal(pod: PodJson): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** Label selector for the pods of one Job (the Job controller sets it on every pod it creates). */
export function podSelectorForJob(jobUid: string): string {
  return `${JOB_CONTROLLER_UID_LABELS[0]}=${jobUid}`;
}

/** Label value a Job must carry for the healer to track it (`key=value` or just `key`). */
export function matchesManagedSelector(job: JobJson, selector: string): boolean {
  const [key, value] = selector.split("=", 2) as [string, string | undefined];
  const actual = job.metadata.labels?.[key];
  return value === undefined ? actual !== undefined : actual === value;
}
