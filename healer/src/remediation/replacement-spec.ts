/**
 * The replacement Job: the old Job's spec, cleaned the way the Kubernetes sources require, under a new
 * deterministic name per attempt (`<task>-r<N>`). Re-creating under the old name can be blocked for
 * minutes by the Job controller's stale expectations; a deterministic name makes the create
 * idempotent: a 409 AlreadyExists whose replaces-uid matches is our own earlier create.
 */
import { createHash } from "node:crypto";
import { ANNOTATIONS, LABELS } from "../../../workloads/queue-events/contract.ts";
import { HEALER_ANNOTATIONS, JOB_CONTROLLER_UID_LABELS, JOB_NAME_LABELS } from "../state/job-facts.ts";
import type { JobJson, ObjectMeta } from "../kube/kube-types.ts";

/** Job names end up in the `job-name` label of its pods, and label values are at most 63 characters. */
const MAX_JOB_NAME = 63;

/** Metadata the API server owns or that describes the old object only. */
const DROPPED_METADATA = [
  "uid",
  "resourceVersion",
  "managedFields",
  "ownerReferences",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "generation",
  "generateName",
  "selfLink",
  "finalizers",
] as const;

/** Annotations that describe the old object or one attempt, never carried to the next. */
const DROPPED_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "batch.kubernetes.io/job-tracking",
  ANNOTATIONS.gaveUp,
  ANNOTATIONS.replacesUid,
  ANNOTATIONS.reason,
  ANNOTATIONS.restartHistory,
  HEALER_ANNOTATIONS.replacementPending,
  HEALER_ANNOTATIONS.replacesName,
  HEALER_ANNOTATIONS.faultPointFired,
];

export interface ReplacementPlan {
  taskId: string;
  /** Attempt number of the replacement (old attempt + 1). */
  attempt: number;
  replacesUid: string;
  /** STOP, STALL, REWIND, FAULT, DISRUPTED. */
  reason: string;
  /** The task's restart history including this restart (restart-budget format). */
  restartHistory: string;
}

/** `<task>-r<N>`, made a valid DNS-1123 label; long or odd task ids get a short hash to stay unique. */
export function replacementName(taskId: string, attempt: number): string {
  const suffix = `-r${attempt}`;
  const sanitized = taskId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  if (sanitized === taskId && sanitized.length + suffix.length <= MAX_JOB_NAME && sanitized.length > 0) {
    return `${sanitized}${suffix}`;
  }
  const hash = createHash("sha256").update(taskId).digest("hex").slice(0, 6);
  const room = MAX_JOB_NAME - suffix.length - hash.length - 1;
  const stem = sanitized.slice(0, room).replace(/-+$/g, "") || "task";
  return `${stem}-${hash}${suffix}`;
}

function withoutKeys(record: Record<string, string> | undefined, keys: readonly string[]): Record<string, string> {
  const copy: Record<string, string> = { ...(record ?? {}) };
  for (const key of keys) delete copy[key];
  return copy;
}

/**
 * The replacement, created suspended with the pending mark: it gets pods only once the healer has
 * seen the old attempt's pods gone (see reconciler.ts), so two attempts never run side by side.
 */
export function buildReplacementJob(old: JobJson, plan: ReplacementPlan): JobJson {
  const copy = structuredClone(old);
  const metadata: ObjectMeta = { ...copy.metadata };
  for (const key of DROPPED_METADATA) delete metadata[key];
  metadata.name = replacementName(plan.taskId, plan.attempt);
  metadata.labels = {
    ...withoutKeys(copy.metadata.labels, [...JOB_CONTROLLER_UID_LABELS, ...JOB_NAME_LABELS]),
    [LABELS.taskId]: plan.taskId,
    [LABELS.attempt]: String(plan.attempt),
  };
  metadata.annotations = {
    ...withoutKeys(copy.metadata.annotations, DROPPED_ANNOTATIONS),
    [ANNOTATIONS.replacesUid]: plan.replacesUid,
    [ANNOTATIONS.reason]: plan.reason,
    [ANNOTATIONS.restartHistory]: plan.restartHistory,
    [HEALER_ANNOTATIONS.replacementPending]: "true",
    [HEALER_ANNOTATIONS.replacesName]: copy.metadata.name ?? "",
  };

  const spec = { ...(copy.spec ?? {}) };
  // The API server generates the selector from the new UID; the old one (and the template labels
  // that match it) would make the create fail validation or, worse, adopt the old attempt's pods.
  delete spec.selector;
  delete spec.manualSelector;
  spec.suspend = true;
  const template = { ...(spec.template ?? {}) };
  const templateMetadata: ObjectMeta = { ...(template.metadata ?? {}) };
  templateMetadata.labels = {
    ...withoutKeys(templateMetadata.labels, [...JOB_CONTROLLER_UID_LABELS, ...JOB_NAME_LABELS]),
    // Loaders read their task id and attempt from their own pod (downward API).
    [LABELS.taskId]: plan.taskId,
    [LABELS.attempt]: String(plan.attempt),
  };
  template.metadata = templateMetadata;
  spec.template = template;

  return { apiVersion: "batch/v1", kind: "Job", metadata, spec };
}

/** DeleteOptions for the old attempt: in the BODY, because the API server ignores query parameters when a body is present. */
export function deleteOptionsFor(uid: string) {
  return {
    apiVersion: "v1",
    kind: "DeleteOptions",
    // The API default for Jobs is to orphan their pods: a "deleted" attempt would keep running.
    propagationPolicy: "Background",
    // Only this attempt: never a same-named Job someone re-created meanwhile.
    preconditions: { uid },
  } as const;
}
