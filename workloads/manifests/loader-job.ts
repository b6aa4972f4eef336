/**
 * The loader Job, built in code: the single source of the Job shape for the harness (which starts
 * loaders with it), for `loader-job.example.yaml` (generated from it, checked by a unit test), and for
 * anyone applying loaders by hand.
 *
 * What the shape encodes:
 * - the healer's opt-in and identity labels (contract LABELS) on the Job *and* the pod template: the
 *   loader reads its task id and attempt from its own pod labels (downward API), so a replacement Job
 *   needs new labels only, not new env;
 * - JOB_NAME / JOB_UID from the labels the Job controller puts on its pods
 *   (`batch.kubernetes.io/job-name`, `batch.kubernetes.io/controller-uid`);
 * - podFailurePolicy: exit code LOADER_FATAL_EXIT_CODE fails the Job at once ("fatal, do not retry");
 *   every other failure, disruptions (pod deleted, evicted) included, counts against backoffLimit
 *   as by default;
 * - `restartPolicy: Never` (required by podFailurePolicy; a retry is a new pod that resumes from the ledger);
 * - Kafka addresses from ConfigMap `streamforge-kafka`, key `workloads`.
 */
import { stringify } from "yaml";
import { ANNOTATIONS, LABELS, LOADER_FATAL_EXIT_CODE } from "../queue-events/contract.ts";
import { formatDuration } from "../queue-events/duration.ts";
import { formatFaultProfile, parseFaultProfile, type Fault } from "../loader/fault-profile.ts";
import { STREAMFORGE_NAMESPACE } from "../queue-events/namespace.ts";

export const LOADER_IMAGE = "chaoslab/loader:dev";
export const LOADER_CONTAINER = "loader";
/** ConfigMap with the Kafka addresses per audience (docs/CONVENTIONS.md). */
export const KAFKA_CONFIGMAP = { name: "streamforge-kafka", workloadsKey: "workloads" } as const;
/**
 * The ConfigMap key a loader reads its bootstrap servers from: `workloads`, or on a lab with Kafka lanes
 * (the sim) `workloads-lane-<n>` for a run on lane n, so its traffic crosses only that lane's proxies.
 */
export const kafkaWorkloadsKey = (lane?: number) => (lane ? `${KAFKA_CONFIGMAP.workloadsKey}-lane-${lane}` : KAFKA_CONFIGMAP.workloadsKey);
/** Labels the Job controller sets on the pods it creates (Kubernetes ≥ 1.27). */
export const JOB_POD_LABELS = { jobName: "batch.kubernetes.io/job-name", controllerUid: "batch.kubernetes.io/controller-uid" } as const;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

export interface LoaderJobSpec {
  /** Job name: a DNS-1123 label (≤ 63 characters, it becomes a pod label value). */
  name: string;
  /** Default: the Job name. Stays the same across the healer's replacements. */
  taskId?: string;
  namespace?: string;
  image?: string;
  messages: number;
  ratePerSec: number;
  /** Loader env and the healer's heartbeat-interval annotation. Default 10 s. */
  heartbeatIntervalMs?: number;
  /** Per-Job healer override (annotation); must be ≥ 3 × heartbeat, as the healer requires. */
  silenceThresholdMs?: number;
  noProgressThresholdMs?: number;
  /** Fault profile: structured, or the `FAULT` env text (validated here, not in the pod). */
  faults?: readonly Fault[] | string;
  /**
   * Which attempts apply the fault profile (env `FAULT_ATTEMPTS`). Default `first`: attempt 0 only, so
   * the healer's replacement (a copy of this Job, env included) runs clean. `all`: every attempt
   * faults again (a loader that always stalls, to exhaust the healer's restart budget).
   */
  faultAttempts?: "first" | "all";
  /** Default 0: a failed or disrupted pod fails the Job, and the healer decides. */
  backoffLimit?: number;
  /** Default 1. More completions run the same task again; each finds it done in the ledger. */
  completions?: number;
  /** Default 0; the healer's replacements carry their own. */
  attempt?: number;
  /** Extra labels on the Job and its pods (run id, chaos opt-in, ...). Cannot override the contract's labels. */
  labels?: Readonly<Record<string, string>>;
  /** Extra annotations on the Job (not its pods); the healer annotations the builder sets take precedence. */
  annotations?: Readonly<Record<string, string>>;
  payloadBytes?: number;
  dataTopic?: string;
  terminationGracePeriodSeconds?: number;
  /** The Kafka lane the loader bootstraps on (kafkaWorkloadsKey); absent: the shared path. */
  kafkaLane?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

/** The rendered Job: a plain object any Kubernetes client accepts (no client types in workloads). */
export interface LoaderJob {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    backoffLimit: number;
    completions: number;
    parallelism: 1;
    podFailurePolicy: {
      rules: { action: "FailJob"; onExitCodes: { containerName: string; operator: "In"; values: number[] } }[];
    };
    template: {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown> & {
        restartPolicy: "Never";
        containers: ({ name: string; image: string; env: EnvVar[] } & Record<string, unknown>)[];
      };
    };
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export class LoaderJobSpecError extends Error {
  override name = "LoaderJobSpecError";
}

export function buildLoaderJob(spec: LoaderJobSpec): LoaderJob {
  const taskId = spec.taskId ?? spec.name;
  const namespace = spec.namespace ?? STREAMFORGE_NAMESPACE;
  const heartbeatIntervalMs = spec.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const attempt = spec.attempt ?? 0;
  const faults = typeof spec.faults === "string" ? parseFaultProfile(spec.faults) : [...(spec.faults ?? [])];
  validate(spec, taskId, heartbeatIntervalMs, attempt);

  const contractLabels = {
    app: "loader",
    "app.kubernetes.io/name": "loader",
    "app.kubernetes.io/part-of": "streamforge",
    [LABELS.managed]: "true",
    [LABELS.taskId]: taskId,
    [LABELS.attempt]: String(attempt),
  };
  for (const [key, value] of Object.entries(spec.labels ?? {})) {
    if (key in contractLabels && contractLabels[key as keyof typeof contractLabels] !== value) {
      throw new LoaderJobSpecError(`loader Job ${spec.name}: label ${key} is set by the builder to "${contractLabels[key as keyof typeof contractLabels]}"; found "${value}" in labels`);
    }
  }
  const labels = { ...spec.labels, ...contractLabels };

  const annotations: Record<string, string> = {
    ...spec.annotations,
    [ANNOTATIONS.heartbeatInterval]: formatDuration(heartbeatIntervalMs),
  };
  if (spec.silenceThresholdMs !== undefined) annotations[ANNOTATIONS.silenceThreshold] = formatDuration(spec.silenceThresholdMs);
  if (spec.noProgressThresholdMs !== undefined) annotations[ANNOTATIONS.noProgressThreshold] = formatDuration(spec.noProgressThresholdMs);

  const fromLabel = (label: string) => ({ fieldRef: { fieldPath: `metadata.labels['${label}']` } });
  const env: EnvVar[] = [
    { name: "KAFKA_BROKERS", valueFrom: { configMapKeyRef: { name: KAFKA_CONFIGMAP.name, key: kafkaWorkloadsKey(spec.kafkaLane) } } },
    { name: "TASK_ID", valueFrom: fromLabel(LABELS.taskId) },
    { name: "ATTEMPT", valueFrom: fromLabel(LABELS.attempt) },
    { name: "JOB_NAME", valueFrom: fromLabel(JOB_POD_LABELS.jobName) },
    { name: "JOB_UID", valueFrom: fromLabel(JOB_POD_LABELS.controllerUid) },
    { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "MESSAGES", value: String(spec.messages) },
    { name: "RATE_PER_SEC", value: String(spec.ratePerSec) },
    { name: "HEARTBEAT_INTERVAL_MS", value: String(heartbeatIntervalMs) },
    { name: "FAULT", value: formatFaultProfile(faults) },
    // Only when it differs from the loader's default (`first`), so existing manifests keep their shape.
    ...(spec.faultAttempts === "all" ? [{ name: "FAULT_ATTEMPTS", value: "all" }] : []),
    ...(spec.dataTopic !== undefined ? [{ name: "DATA_TOPIC", value: spec.dataTopic }] : []),
    ...(spec.payloadBytes !== undefined ? [{ name: "PAYLOAD_BYTES", value: String(spec.payloadBytes) }] : []),
  ];

  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.name, namespace, labels, annotations },
    spec: {
      backoffLimit: spec.backoffLimit ?? 0,
      completions: spec.completions ?? 1,
      parallelism: 1,
      podFailurePolicy: {
        rules: [
          {
            action: "FailJob",
            onExitCodes: { containerName: LOADER_CONTAINER, operator: "In", values: [LOADER_FATAL_EXIT_CODE] },
          },
        ],
      },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          restartPolicy: "Never",
          // The loader exits within ~3 s of SIGTERM (flushes ledger and events first).
          terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 10,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: LOADER_CONTAINER,
              image: spec.image ?? LOADER_IMAGE,
              imagePullPolicy: "IfNotPresent",
              env,
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

export function renderLoaderJobYaml(spec: LoaderJobSpec): string {
  return stringify(buildLoaderJob(spec), { lineWidth: 0 });
}

/** The spec behind `loader-job.example.yaml`. */
export const LOADER_JOB_EXAMPLE: LoaderJobSpec = {
  name: "loader-1",
  messages: 5000,
  ratePerSec: 200,
  heartbeatIntervalMs: 5000,
  silenceThresholdMs: 30_000,
  faults: "none",
  backoffLimit: 0,
};

function validate(spec: LoaderJobSpec, taskId: string, heartbeatIntervalMs: number, attempt: number): void {
  const problems: string[] = [];
  if (spec.name.length > 63 || !DNS_LABEL.test(spec.name)) {
    problems.push(`name: expected a DNS-1123 label of at most 63 characters (it becomes a pod label value), found "${spec.name}"`);
  }
  if (taskId.length > 63 || taskId.length === 0 || !LABEL_VALUE.test(taskId)) {
    problems.push(`taskId: expected a label value of at most 63 characters, found "${taskId}"`);
  }
  if (!Number.isSafeInteger(spec.messages) || spec.messages < 0) problems.push(`messages: expected a whole number >= 0, found ${spec.messages}`);
  if (!(spec.ratePerSec > 0)) problems.push(`ratePerSec: expected > 0, found ${spec.ratePerSec}`);
  if (!Number.isSafeInteger(heartbeatIntervalMs) || heartbeatIntervalMs < 100) {
    problems.push(`heartbeatIntervalMs: expected a whole number >= 100, found ${heartbeatIntervalMs}`);
  }
  for (const [key, value] of [["silenceThresholdMs", spec.silenceThresholdMs], ["noProgressThresholdMs", spec.noProgressThresholdMs]] as const) {
    if (value !== undefined && !(value >= 3 * heartbeatIntervalMs)) {
      problems.push(`${key}: the healer rejects thresholds below 3 × heartbeat (${3 * heartbeatIntervalMs} ms), found ${value}`);
    }
  }
  if (spec.backoffLimit !== undefined && (!Number.isSafeInteger(spec.backoffLimit) || spec.backoffLimit < 0)) {
    problems.push(`backoffLimit: expected a whole number >= 0, found ${spec.backoffLimit}`);
  }
  if (spec.completions !== undefined && (!Number.isSafeInteger(spec.completions) || spec.completions < 1)) {
    problems.push(`completions: expected a whole number >= 1, found ${spec.completions}`);
  }
  if (spec.faultAttempts !== undefined && spec.faultAttempts !== "first" && spec.faultAttempts !== "all") {
    problems.push(`faultAttempts: expected "first" or "all", found ${JSON.stringify(spec.faultAttempts)}`);
  }
  if (!Number.isSafeInteger(attempt) || attempt < 0) problems.push(`attempt: expected a whole number >= 0, found ${attempt}`);
  if (problems.length > 0) throw new LoaderJobSpecError(`loader Job ${spec.name}: ${problems.join("; ")}`);
}
