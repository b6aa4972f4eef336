/**
 * What a Job or Pod object says, as pure functions: identity (task, attempt), lifecycle, and how a
 * failed Job failed; and all the healer keeps of each object it watches (JobFacts, PodFacts). The
 * healer decides on these facts only, never on a Job's name.
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
 * A Job as the healer keeps it: the facts the tracker and detection read, taken from the object once,
 * as it arrives (the informers' transform, as controller-runtime's cache transforms do). Nothing else of
 * the object is retained — not managedFields, the pod template, status counters, nor other labels and
 * annotations — so at 10,000 tracked Jobs a field here costs ~80 KiB: add one only when something reads
 * it. Remediation reads the Job fresh from the API server before acting and derives the same facts
 * from that object (`jobFactsOf`), so both paths judge a Job by one definition.
 */
export interface JobFacts {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  /** The informer skips an update that does not change it (relists replay every object). */
  readonly resourceVersion: string;
  readonly taskId: string;
  readonly attempt: number;
  /** It has a deletionTimestamp. */
  readonly deleting: boolean;
  readonly suspended: boolean;
  /** Complete or SuccessCriteriaMet. */
  readonly complete: boolean;
  /** It failed: a Failed (or FailureTarget) condition, whose reason is `failureReason`. */
  readonly failed: boolean;
  readonly failureReason: string | undefined;
  /** status.failed: the pods the Job controller counted as failed. */
  readonly failedPods: number;
  readonly parallelism: number;
  /** Annotation `gave-up` present: the restart budget is spent, the task is left alone. */
  readonly gaveUp: boolean;
  /** Annotation `replacement-pending` present (see HEALER_ANNOTATIONS). */
  readonly replacementPending: boolean;
  /** UID and name of the Job this one replaced (the healer's replacements carry them). */
  readonly replacesUid: string | undefined;
  readonly replacesName: string | undefined;
  /** Its per-Job threshold override annotations as written (resolved by thresholds.ts); undefined when it has none. */
  readonly thresholdAnnotations: Readonly<Record<string, string>> | undefined;
}

/** Annotations by which a Job overrides its detection thresholds (state/thresholds.ts checks them). */
const THRESHOLD_ANNOTATIONS = [ANNOTATIONS.heartbeatInterval, ANNOTATIONS.silenceThreshold, ANNOTATIONS.noProgressThreshold] as const;

export function jobFactsOf(job: JobJson): JobFacts {
  const { metadata, spec, status } = job;
  const name = metadata.name ?? "";
  const taskId = taskIdOf(job);
  const failure = failureOf(job);
  const annotations = metadata.annotations;
  let thresholdAnnotations: Record<string, string> | undefined;
  for (const key of THRESHOLD_ANNOTATIONS) {
    const value = annotations?.[key];
    if (value !== undefined) (thresholdAnnotations ??= {})[key] = value;
  }
  return {
    uid: metadata.uid ?? "",
    name,
    namespace: metadata.namespace ?? "",
    resourceVersion: metadata.resourceVersion ?? "",
    // Usually the task id is the original Job's name: one string kept, not two equal ones.
    taskId: taskId === name ? name : taskId,
    attempt: attemptOf(job),
    deleting: Boolean(metadata.deletionTimestamp),
    suspended: spec?.suspend === true,
    complete: isComplete(job),
    failed: failure !== undefined,
    failureReason: failure?.reason,
    failedPods: status?.failed ?? 0,
    parallelism: typeof spec?.parallelism === "number" ? spec.parallelism : 1,
    gaveUp: annotations?.[ANNOTATIONS.gaveUp] !== undefined,
    replacementPending: annotations?.[HEALER_ANNOTATIONS.replacementPending] !== undefined,
    replacesUid: annotations?.[ANNOTATIONS.replacesUid],
    replacesName: annotations?.[HEALER_ANNOTATIONS.replacesName],
    thresholdAnnotations,
  };
}

/**
 * A pod as the healer keeps it (see JobFacts): whose it is and the few conditions the tracker reads.
 * Only the pod informer's cache holds these; remediation lists pods fresh.
 */
export interface PodFacts {
  readonly uid: string;
  readonly resourceVersion: string;
  /** The Job it belongs to (jobUidOfPod). */
  readonly jobUid: string;
  /** Its Ready condition is True (it may be being deleted all the same). */
  readonly ready: boolean;
  readonly deleting: boolean;
  /** Phase Failed. */
  readonly failed: boolean;
  /** Phase Succeeded or Failed: its containers are done. */
  readonly terminal: boolean;
  /** It has a DisruptionTarget condition (evicted, preempted, deleted by a taint). */
  readonly disruptionTarget: boolean;
}

/** The PodFacts of a pod object; undefined for a pod without a UID or a Job to belong to. */
export function podFactsOf(pod: PodJson): PodFacts | undefined {
  const jobUid = jobUidOfPod(pod);
  if (!pod.metadata.uid || !jobUid) return undefined;
  return {
    uid: pod.metadata.uid,
    resourceVersion: pod.metadata.resourceVersion ?? "",
    jobUid,
    ready: isPodReady(pod),
    deleting: pod.metadata.deletionTimestamp !== undefined,
    failed: pod.status?.phase === "Failed",
    terminal: isPodTerminal(pod),
    disruptionTarget: conditionOf(pod.status?.conditions, "DisruptionTarget") !== undefined,
  };
}

/**
 * Evidence that a Job's pods were disrupted rather than failing by themselves. `podDeletionObserved`
 * comes from the pod informer (a pod of this Job got a deletionTimestamp while the Job was running).
 */
export interface DisruptionEvidence {
  readonly disruptionTarget: boolean;
  readonly podDeletionObserved: boolean;
}

/** No evidence: one object shared by every Job that has none (evidence is replaced, never mutated). */
export const NO_DISRUPTION: DisruptionEvidence = Object.freeze({ disruptionTarget: false, podDeletionObserved: false });

/** Evidence with `fact` established (the same object when it already was). */
export function withEvidence(evidence: DisruptionEvidence, fact: keyof DisruptionEvidence): DisruptionEvidence {
  return evidence[fact] ? evidence : { ...evidence, [fact]: true };
}

/** Pods of a Job, fresh from the API: DisruptionTarget on any, or failures the remaining pods cannot explain. */
export function disruptionEvidenceFromPods(job: JobFacts, pods: PodJson[]): DisruptionEvidence {
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
export function failedPodsUnaccounted(job: JobFacts, failedPodsPresent: number): boolean {
  return job.parallelism <= 1 && job.failedPods > failedPodsPresent;
}

export function jobLifecycle(job: JobFacts, evidence: DisruptionEvidence): JobLifecycle {
  if (job.deleting) return "deleting";
  if (job.complete) return "complete";
  if (job.gaveUp) return "gave-up";
  if (job.failed) {
    if (job.failureReason === "PodFailurePolicy") return "failed-fatal";
    if (evidence.disruptionTarget) return "failed-disrupted";
    if (job.failureReason === "BackoffLimitExceeded" && evidence.podDeletionObserved) return "failed-disrupted";
    return "failed-other";
  }
  if (job.suspended) return job.replacementPending ? "pending-replacement" : "suspended";
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
