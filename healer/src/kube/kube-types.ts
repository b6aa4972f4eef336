/**
 * The JSON shapes the healer reads and writes, exactly as the API server sends them (timestamps are
 * RFC 3339 strings). The healer talks raw JSON rather than through client-node's generated models on
 * purpose: those models drop every field they do not know, so a Job read and re-created through them
 * would silently lose fields a newer API server added to the pod template. Index signatures keep
 * whatever else the server sent.
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PodTemplateJson {
  metadata?: ObjectMeta;
  spec?: { terminationGracePeriodSeconds?: number; [field: string]: unknown };
}

export interface JobJson {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    suspend?: boolean;
    selector?: unknown;
    manualSelector?: boolean;
    completionMode?: string;
    template?: PodTemplateJson;
    [field: string]: unknown;
  };
  status?: {
    conditions?: Condition[];
    active?: number;
    ready?: number;
    failed?: number;
    succeeded?: number;
    terminating?: number;
    startTime?: string;
    completionTime?: string;
    [field: string]: unknown;
  };
}

export interface PodJson {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: { terminationGracePeriodSeconds?: number; nodeName?: string; [field: string]: unknown };
  status?: { phase?: string; conditions?: Condition[]; [field: string]: unknown };
}

export interface LeaseJson {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

/** core/v1 Event (the API `kubectl describe` shows). */
export interface EventJson {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  involvedObject: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
}

/** meta/v1 DeleteOptions: the body of a DELETE. */
export interface DeleteOptionsJson {
  apiVersion: "v1";
  kind: "DeleteOptions";
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** Parses an RFC 3339 timestamp (or a Date) to epoch ms; undefined for absent or unparsable. */
export function toEpochMs(value: string | Date | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
