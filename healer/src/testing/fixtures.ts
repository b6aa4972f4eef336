/** Builders shared by the healer's unit tests: config with small thresholds, loader Jobs, events, a captured logger. */
import { Writable } from "node:stream";
import { ANNOTATIONS, LABELS, LOADER_FATAL_EXIT_CODE, type QueueEvent } from "../../../workloads/queue-events/contract.ts";
import { STREAMFORGE_NAMESPACE } from "../../../workloads/queue-events/namespace.ts";
import { type HealerConfig, loadConfig } from "../runtime/config.ts";
import { createLogger, type Logger } from "../runtime/logger.ts";
import type { JobJson } from "../kube/kube-types.ts";

export const NAMESPACE = STREAMFORGE_NAMESPACE;

/** Small thresholds, as scenarios use: heartbeat 1 s, silence 6 s, grace 5 s. */
export const TEST_ENV: Record<string, string> = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  HEALER_HEARTBEAT_INTERVAL: "1s",
  HEALER_SILENCE_THRESHOLD: "6s",
  HEALER_NO_PROGRESS_THRESHOLD: "10s",
  HEALER_GRACE_PERIOD: "5s",
  HEALER_CANARY_INTERVAL: "500ms",
  HEALER_CANARY_TIMEOUT: "2s",
  HEALER_CONSUMER_RESTART_AFTER: "10s",
  HEALER_BREAKER_SETTLE_PERIOD: "3s",
  HEALER_LEASE_DURATION: "3s",
  HEALER_LEASE_RENEW_DEADLINE: "2s",
  HEALER_LEASE_RETRY_PERIOD: "500ms",
  HEALER_HTTP_PORT: "0",
  LISTEN_HOST: "127.0.0.1",
  POD_NAME: "healer-a",
  HEALER_REPLACEMENT_POD_TIMEOUT: "10s",
  HEALER_RATE_LIMIT_PER_MINUTE: "60",
  HEALER_RATE_LIMIT_BURST: "5",
  HEALER_RESTART_BACKOFF_BASE: "1s",
  HEALER_RESTART_BACKOFF_MAX: "10s",
  HEALER_OLD_POD_GRACE_SLACK: "2s",
};

export function testConfig(overrides: Record<string, string> = {}): HealerConfig {
  const result = loadConfig({ ...TEST_ENV, ...overrides });
  if (!result.ok) throw new Error(result.message);
  return result.config;
}

export interface LoaderJobOptions {
  taskId?: string;
  attempt?: number;
  annotations?: Record<string, string>;
  suspend?: boolean;
  parallelism?: number;
}

/** A loader Job as the harness creates it (labels on Job and template, podFailurePolicy FailJob on 42). */
export function loaderJob(name: string, options: LoaderJobOptions = {}): JobJson {
  const labels = {
    app: "loader",
    [LABELS.managed]: "true",
    [LABELS.taskId]: options.taskId ?? name,
    [LABELS.attempt]: String(options.attempt ?? 0),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: NAMESPACE, labels, annotations: { ...(options.annotations ?? {}) } },
    spec: {
      backoffLimit: 0,
      ...(options.suspend === undefined ? {} : { suspend: options.suspend }),
      ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
      podFailurePolicy: {
        rules: [{ action: "FailJob", onExitCodes: { containerName: "loader", operator: "In", values: [LOADER_FATAL_EXIT_CODE] } }],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 5,
          containers: [{ name: "loader", image: "chaoslab/loader:dev", env: [{ name: "MESSAGES", value: "1000" }] }],
        },
      },
    },
  };
}

export function workerEvent(job: JobJson, type: QueueEvent["type"], seq: number, fields: Partial<QueueEvent> = {}): QueueEvent {
  return {
    v: 1,
    type,
    jobUid: job.metadata.uid ?? "",
    jobName: job.metadata.name ?? "",
    namespace: job.metadata.namespace ?? NAMESPACE,
    taskId: job.metadata.labels?.[LABELS.taskId] ?? job.metadata.name ?? "",
    attempt: Number(job.metadata.labels?.[LABELS.attempt] ?? 0),
    seq,
    ts: Date.UTC(2025, 0, 1),
    ...fields,
  };
}

export interface CapturedLog {
  logger: Logger;
  lines(): Array<Record<string, unknown>>;
  decisions(): Array<Record<string, unknown>>;
}

/** A real pino logger writing JSON lines into memory. */
export function captureLogger(level = "debug"): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  const logger = createLogger(level, sink);
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines: parsed, decisions: () => parsed().filter((line) => line.decision === true) };
}

export { ANNOTATIONS, LABELS };
