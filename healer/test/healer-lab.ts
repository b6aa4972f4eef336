/**
 * Helpers of the healer's lab tests (healer/test/*.lab.test.ts): a healer instance of its own (pods of
 * its Deployment, run by the sim's process runtime), loader Jobs only that instance manages, a tap on
 * `queue-events`, the healer's decision log (its pods' log files) and its /metrics.
 *
 * Isolation on the shared lab: every test file deploys its own instance (`deployHealer({ name })`)
 * whose HEALER_MANAGED_SELECTOR is `chaoslab.test/healer=<instance>`, and its loader Jobs carry that
 * label INSTEAD of the contract's opt-in label, so a suite healer running at the same time never
 * touches them (and this instance never touches anybody else's Jobs).
 */
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type * as k8s from "@kubernetes/client-node";
import type { Consumer } from "kafkajs";
import { parseQueueEvent, QUEUE_EVENTS_TOPIC, LABELS, type QueueEvent } from "../../workloads/queue-events/contract.ts";
import { buildLoaderJob, type LoaderJobSpec } from "../../workloads/manifests/loader-job.ts";
import type { LabFixture } from "../../cluster/testing/lab-fixture.ts";
import { eventually } from "../../cluster/testing/eventually.ts";
import { deployHealer, type DeployedHealer, type DeployHealerOptions } from "../../cluster/healer/deploy.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

export const NAMESPACE = STREAMFORGE_NAMESPACE;
export const INSTANCE_LABEL = "chaoslab.test/healer";

/**
 * Small thresholds for the lab: heartbeat 1 s, silence 5 s, no progress 6 s, grace 8 s (a loader on a
 * loaded 2-core machine needs a few seconds from Ready to its first event), fast failover.
 */
export const LAB_HEALER_CONFIG = {
  HEALER_HEARTBEAT_INTERVAL: "1s",
  HEALER_SILENCE_THRESHOLD: "5s",
  HEALER_NO_PROGRESS_THRESHOLD: "6s",
  HEALER_GRACE_PERIOD: "8s",
  HEALER_CANARY_INTERVAL: "1s",
  HEALER_CANARY_TIMEOUT: "3s",
  HEALER_CONSUMER_RESTART_AFTER: "20s",
  HEALER_BREAKER_SETTLE_PERIOD: "2s",
  HEALER_RATE_LIMIT_PER_MINUTE: "60",
  HEALER_RATE_LIMIT_BURST: "10",
  HEALER_RESTART_BUDGET: "3",
  HEALER_RESTART_BACKOFF_BASE: "1s",
  HEALER_RESTART_BACKOFF_MAX: "2s",
  HEALER_REPLACEMENT_POD_TIMEOUT: "30s",
  HEALER_OLD_POD_GRACE_SLACK: "5s",
  HEALER_REMEDIATION_POLL_INTERVAL: "200ms",
  HEALER_LEASE_DURATION: "4s",
  HEALER_LEASE_RENEW_DEADLINE: "3s",
  HEALER_LEASE_RETRY_PERIOD: "500ms",
  HEALER_SHUTDOWN_TIMEOUT: "10s",
  LOG_LEVEL: "info",
} as const;

export const SILENCE_MS = 5_000;
export const NO_PROGRESS_MS = 6_000;
export const GRACE_MS = 8_000;
export const HEARTBEAT_MS = 1_000;

export async function deployTestHealer(fixture: LabFixture, instance: string, options: Omit<DeployHealerOptions, "name"> = {}): Promise<DeployedHealer> {
  return deployHealer(fixture.kubeConfig, {
    replicas: 1,
    ...options,
    name: instance,
    config: { ...LAB_HEALER_CONFIG, HEALER_MANAGED_SELECTOR: `${INSTANCE_LABEL}=${instance}`, ...options.config },
    timeoutMs: options.timeoutMs ?? 180_000,
  });
}

/** A loader Job managed by the test's healer instance only (see the module comment). */
export function testLoaderJob(instance: string, spec: LoaderJobSpec): k8s.V1Job {
  const job = buildLoaderJob({
    heartbeatIntervalMs: HEARTBEAT_MS,
    terminationGracePeriodSeconds: 5,
    ...spec,
    labels: { ...spec.labels, [INSTANCE_LABEL]: instance },
  }) as unknown as k8s.V1Job;
  delete job.metadata!.labels![LABELS.managed];
  delete job.spec!.template.metadata!.labels![LABELS.managed];
  return job;
}

export async function createJob(fixture: LabFixture, job: k8s.V1Job): Promise<k8s.V1Job> {
  return fixture.batch.createNamespacedJob({ namespace: NAMESPACE, body: job });
}

export async function jobsOfTask(fixture: LabFixture, taskId: string): Promise<k8s.V1Job[]> {
  const jobs = (await fixture.batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: `${LABELS.taskId}=${taskId}` })).items;
  return jobs.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}

export async function podsOfJob(fixture: LabFixture, jobUid: string): Promise<k8s.V1Pod[]> {
  return (await fixture.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `batch.kubernetes.io/controller-uid=${jobUid}` })).items;
}

export async function jobsOfInstance(fixture: LabFixture, instance: string): Promise<k8s.V1Job[]> {
  return (await fixture.batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: `${INSTANCE_LABEL}=${instance}` })).items;
}

export function condition(job: k8s.V1Job, type: string) {
  return job.status?.conditions?.find((candidate) => candidate.type === type && candidate.status === "True");
}

/** Deletes every Job of the instance (pods follow) and waits, bounded, until their pods are gone. */
export async function deleteInstanceJobs(fixture: LabFixture, instance: string): Promise<void> {
  for (const job of await jobsOfInstance(fixture, instance)) {
    await fixture.batch.deleteNamespacedJob({ name: job.metadata!.name!, namespace: NAMESPACE, body: { propagationPolicy: "Background" } }).catch(() => undefined);
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const pods = (await fixture.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${INSTANCE_LABEL}=${instance}` })).items;
    if (pods.length === 0) return;
    await sleep(500);
  }
}

// ---- queue-events tap ------------------------------------------------------------------------------

export interface TappedEvent {
  event: QueueEvent;
  /** Wall clock of receipt here (same machine as the healer and the loaders). */
  receivedAt: number;
}

export interface QueueEventsTap {
  events: TappedEvent[];
  of(predicate: (event: QueueEvent) => boolean): TappedEvent[];
  stop(): Promise<void>;
}

/** Consumes queue-events from the latest offsets (own group) until stopped; resolves once it has partitions. */
export async function tapQueueEvents(fixture: LabFixture, groupId: string): Promise<QueueEventsTap> {
  const consumer: Consumer = fixture.kafkaDirect(groupId).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 });
  const events: TappedEvent[] = [];
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.connect();
  await consumer.subscribe({ topic: QUEUE_EVENTS_TOPIC, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const parsed = parseQueueEvent(message.value);
      if (parsed.ok) events.push({ event: parsed.event, receivedAt: Date.now() });
    },
  });
  await eventually("the queue-events tap to join its group", async () => joined, (value) => value, { timeoutMs: 60_000 });
  return {
    events,
    of: (predicate) => events.filter((tapped) => predicate(tapped.event)),
    stop: async () => {
      await consumer.disconnect().catch(() => undefined);
    },
  };
}

// ---- the healer's own evidence ---------------------------------------------------------------------

export interface DecisionLine {
  time: string;
  atMs: number;
  action: string;
  result: string;
  uid: string;
  job: string;
  taskId: string;
  attempt: number;
  reason?: string;
  silenceMs?: number;
  noProgressMs?: number;
  detail?: string;
  replacement?: { name: string; uid?: string };
  breaker: { state: string; reasons: string[] };
  pod: string;
}

/** Every line of every pod of the instance (current and earlier pods, restarts included: the runtime appends). */
export function healerLogLines(fixture: LabFixture, instance: string): Array<Record<string, unknown> & { pod: string }> {
  const podsDir = path.join(fixture.description.stateDir, "pods");
  const lines: Array<Record<string, unknown> & { pod: string }> = [];
  for (const entry of fs.readdirSync(podsDir)) {
    if (!entry.startsWith(`${NAMESPACE}_${instance}-`)) continue;
    const file = path.join(podsDir, entry, "healer.log");
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        lines.push({ ...(JSON.parse(line) as Record<string, unknown>), pod: entry.split("_")[1]! });
      } catch {
        /* a torn last line */
      }
    }
  }
  return lines;
}

export function decisions(fixture: LabFixture, instance: string): DecisionLine[] {
  return healerLogLines(fixture, instance)
    .filter((line) => line.decision === true)
    .map((line) => ({ ...(line as unknown as DecisionLine), atMs: Date.parse(line.time as string) }))
    .sort((a, b) => a.atMs - b.atMs);
}

export async function kubeEvents(fixture: LabFixture, jobName: string): Promise<k8s.CoreV1Event[]> {
  return (await fixture.core.listNamespacedEvent({ namespace: NAMESPACE, fieldSelector: `involvedObject.name=${jobName}` })).items;
}

/** Value of one sample of a Prometheus text exposition (labels matched exactly as given, in any order). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const sampleLabels = Object.fromEntries(
      [...(match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => sampleLabels[key] === value)) total = (total ?? 0) + Number(match[4]);
  }
  return total ?? 0;
}

/** The test's own record of the Jobs of a task over time (to check "never two running at once"). */
export interface TaskObservation {
  /** When the sample's last list (the pods') had answered. */
  atMs: number;
  /**
   * When its first list (the Jobs') was sent: a sample taken across a change mixes before and after, so
   * "the task had no Job" only counts for samples whose Job list was sent after the Job was created.
   */
  listedFromMs: number;
  /** Jobs not being deleted, not finished, and not suspended. */
  live: string[];
  /** Pods not terminal, by Job name. */
  runningPods: Record<string, number>;
  jobs: string[];
}

export function watchTask(fixture: LabFixture, taskId: string, intervalMs = 250): { samples: TaskObservation[]; stop(): Promise<void> } {
  const samples: TaskObservation[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const listedFromMs = Date.now();
        const jobs = await jobsOfTask(fixture, taskId);
        const pods = (await fixture.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `${LABELS.taskId}=${taskId}` })).items;
        const runningPods: Record<string, number> = {};
        for (const pod of pods) {
          if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
          const jobName = pod.metadata?.labels?.["batch.kubernetes.io/job-name"] ?? "?";
          runningPods[jobName] = (runningPods[jobName] ?? 0) + 1;
        }
        samples.push({
          atMs: Date.now(),
          listedFromMs,
          jobs: jobs.map((job) => job.metadata!.name!),
          live: jobs
            .filter((job) => !job.metadata?.deletionTimestamp && !job.spec?.suspend && !condition(job, "Complete") && !condition(job, "Failed"))
            .map((job) => job.metadata!.name!),
          runningPods,
        });
      } catch {
        /* a failed poll is a gap, not a finding */
      }
      await sleep(intervalMs);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Longest stretch (ms) during which pods of two different Jobs of the task ran at the same time. */
export function longestOverlapMs(samples: TaskObservation[]): number {
  let longest = 0;
  let since: number | undefined;
  for (const sample of samples) {
    const jobsWithPods = Object.values(sample.runningPods).filter((count) => count > 0).length;
    if (jobsWithPods >= 2) {
      since ??= sample.atMs;
      longest = Math.max(longest, sample.atMs - since);
    } else {
      since = undefined;
    }
  }
  return longest;
}
