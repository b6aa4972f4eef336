/**
 * The loader Job the `loaders` setup action creates, following the loader's env contract
 * (workloads/loader/config.ts) and the healer's labels (workloads/queue-events/contract.ts).
 *
 * Kept here until workloads/ ships its own builder (workloads/loader/config.ts names
 * `workloads/manifests/loader-job.ts`, which does not exist yet); then this file should delegate to it so
 * the Job shape has one source of truth.
 */
import { LABELS, LOADER_FATAL_EXIT_CODE, ANNOTATIONS } from "../../workloads/queue-events/contract.ts";
import { formatFaultProfile, type Fault } from "../../workloads/loader/fault-profile.ts";
import { CHAOS_OPT_IN_LABEL } from "../engine/safety.ts";
import type { KubeObject } from "../lab/ports.ts";

/** ConfigMap with the Kafka addresses per audience (docs/CONVENTIONS.md). */
export const KAFKA_CONFIGMAP = { name: "streamforge-kafka", workloadsKey: "workloads" } as const;

export interface LoaderJobSpec {
  name: string;
  namespace: string;
  image: string;
  messages: number;
  ratePerSec: number;
  heartbeatIntervalMs?: number;
  silenceThresholdMs?: number;
  faults: Fault[];
  labels: Record<string, string>;
  backoffLimit: number;
}

export function loaderJob(spec: LoaderJobSpec): KubeObject {
  const labels = {
    app: "loader",
    [LABELS.managed]: "true",
    [LABELS.taskId]: spec.name,
    [LABELS.attempt]: "0",
    [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value,
    ...spec.labels,
  };
  const annotations: Record<string, string> = {};
  if (spec.heartbeatIntervalMs !== undefined) annotations[ANNOTATIONS.heartbeatInterval] = `${spec.heartbeatIntervalMs}ms`;
  if (spec.silenceThresholdMs !== undefined) annotations[ANNOTATIONS.silenceThreshold] = `${spec.silenceThresholdMs}ms`;
  const env = [
    { name: "KAFKA_BROKERS", valueFrom: { configMapKeyRef: { name: KAFKA_CONFIGMAP.name, key: KAFKA_CONFIGMAP.workloadsKey } } },
    { name: "TASK_ID", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABELS.taskId}']` } } },
    { name: "JOB_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
    { name: "JOB_UID", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" } } },
    { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "ATTEMPT", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABELS.attempt}']` } } },
    { name: "MESSAGES", value: String(spec.messages) },
    { name: "RATE_PER_SEC", value: String(spec.ratePerSec) },
    ...(spec.heartbeatIntervalMs !== undefined ? [{ name: "HEARTBEAT_INTERVAL_MS", value: String(spec.heartbeatIntervalMs) }] : []),
    ...(spec.faults.length > 0 ? [{ name: "FAULT", value: formatFaultProfile(spec.faults) }] : []),
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.name, namespace: spec.namespace, labels, annotations },
    spec: {
      backoffLimit: spec.backoffLimit,
      podFailurePolicy: {
        rules: [{ action: "FailJob", onExitCodes: { containerName: "loader", operator: "In", values: [LOADER_FATAL_EXIT_CODE] } }],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 5,
          containers: [{ name: "loader", image: spec.image, env }],
        },
      },
    },
  };
}
