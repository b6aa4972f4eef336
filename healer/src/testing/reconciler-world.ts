/**
 * A world for reconciler tests: the in-memory API server on simulated time, healer processes (a
 * reconciler with its tracker, fed from the API server) that can crash at a fault point, and the
 * invariants every step must keep (the task always has a Job; never two live attempts).
 */
import { expect } from "vitest";
import { ANNOTATIONS, LABELS } from "../../../workloads/queue-events/contract.ts";
import { ManualClock } from "./manual-clock.ts";
import type { FaultPoint, HealerConfig } from "../runtime/config.ts";
import { DecisionLog } from "../outputs/decision-log.ts";
import { EventRecorder } from "../outputs/events-recorder.ts";
import { HEALER_ANNOTATIONS, jobFactsOf, type PodFacts, podFactsOf } from "../state/job-facts.ts";
import type { JobJson } from "../kube/kube-types.ts";
import { createMetrics, type HealerMetrics } from "../outputs/metrics.ts";
import { TokenBucket } from "../remediation/rate-limiter.ts";
import { Reconciler } from "../remediation/reconciler.ts";
import { JobTracker } from "../state/tracker.ts";
import { FakeKube } from "./fake-kube.ts";
import { captureLogger, type CapturedLog, loaderJob, NAMESPACE, testConfig } from "./fixtures.ts";

export class Crash extends Error {}

export interface World {
  clock: ManualClock;
  kube: FakeKube;
  config: HealerConfig;
  log: CapturedLog;
  metrics: HealerMetrics;
  violations: string[];
}

export interface HealerProcess {
  tracker: JobTracker;
  reconciler: Reconciler;
  published: Array<{ type: string; reason: string; replacementJobName?: string }>;
  sync(): void;
}

export function newWorld(env: Record<string, string> = {}): World {
  const clock = new ManualClock();
  const kube = new FakeKube(clock);
  const world: World = { clock, kube, config: testConfig(env), log: captureLogger(), metrics: createMetrics({ defaultMetrics: false }), violations: [] };
  // Check the two safety invariants after every mutation the healer makes.
  for (const method of ["createJob", "deleteJob", "patchJob"] as const) {
    const original = kube[method].bind(kube) as (...args: unknown[]) => Promise<unknown>;
    (kube as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const result = await original(...args);
      checkInvariants(world, `after ${method}`);
      return result;
    };
  }
  return world;
}

export function tasksJobs(world: World, taskId = "loader-1"): JobJson[] {
  return world.kube.jobs(NAMESPACE).filter((job) => job.metadata.labels?.[LABELS.taskId] === taskId);
}

export function checkInvariants(world: World, when: string, taskId = "loader-1"): void {
  if (tasksJobs(world, taskId).length === 0) world.violations.push(`${when}: task ${taskId} has no Job`);
  const owners = new Set(
    world.kube
      .pods(NAMESPACE)
      .filter((pod) => pod.status?.phase !== "Failed" && pod.status?.phase !== "Succeeded")
      .map((pod) => pod.metadata.ownerReferences?.[0]?.uid ?? `orphan:${pod.metadata.name}`),
  );
  if (owners.size > 1) world.violations.push(`${when}: ${owners.size} attempts have live pods`);
}

export function newProcess(world: World, options: { faultAt?: FaultPoint; leader?: boolean; breakerOpen?: boolean; config?: HealerConfig } = {}): HealerProcess {
  const config = options.config ?? world.config;
  const tracker = new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
  const published: HealerProcess["published"] = [];
  const seenPods = new Map<string, PodFacts>();
  const sync = () => {
    const now = world.clock.monotonicMs();
    const jobs = world.kube.jobs(NAMESPACE).filter((job) => job.metadata.labels?.[LABELS.managed] === "true");
    for (const job of jobs) tracker.upsertJob(jobFactsOf(job), now);
    for (const entry of [...tracker.all()]) if (!jobs.some((job) => job.metadata.uid === entry.uid)) tracker.removeJob(entry.uid, now);
    // As the pod informer keeps them: their facts (a pod of no Job is not kept).
    const pods = world.kube.pods(NAMESPACE).flatMap((pod) => podFactsOf(pod) ?? []);
    for (const pod of pods) {
      tracker.upsertPod(pod, now);
      seenPods.set(pod.uid, pod);
    }
    for (const [uid, pod] of seenPods) {
      if (!pods.some((current) => current.uid === uid)) {
        tracker.removePod(pod, now);
        seenPods.delete(uid);
      }
    }
    tracker.markPodsSynced();
  };
  sync();
  const reconciler = new Reconciler({
    config,
    clock: world.clock,
    kube: world.kube,
    tracker,
    breaker: options.breakerOpen
      ? { allowsRemediation: false, state: "open", reasons: ["canary"] }
      : { allowsRemediation: true, state: "closed", reasons: [] },
    leader: { isLeader: () => options.leader ?? true },
    rateLimiter: new TokenBucket(world.clock, config.rateLimit.perMinute, config.rateLimit.burst),
    recorder: new EventRecorder(world.kube, world.clock, { component: "healer", instance: "test" }, world.metrics, world.log.logger),
    publisher: {
      publish: async (type, _subject, fields) => {
        published.push({ type, reason: fields.reason, replacementJobName: fields.replacementJobName });
      },
    },
    decisions: new DecisionLog(world.log.logger),
    metrics: world.metrics,
    faultPoint: (point) => {
      if (point === options.faultAt) throw new Crash(point);
    },
    isStopping: () => false,
  });
  return { tracker, reconciler, published, sync };
}

/** What the informer + work queue do between reconciles, with the cluster's own controllers running. */
export async function drive(world: World, healer: HealerProcess, key: string, maxSteps = 200): Promise<void> {
  for (let step = 0; step < maxSteps; step++) {
    healer.sync();
    const result = await healer.reconciler.reconcile(key);
    world.kube.syncJobs();
    checkInvariants(world, `step ${step}`);
    if (result.requeueAfterMs === undefined) return;
    await world.clock.advance(result.requeueAfterMs);
    world.kube.reapPods();
    world.kube.syncJobs();
    checkInvariants(world, `after waiting ${result.requeueAfterMs}ms`);
  }
  throw new Error(`reconcile of ${key} did not settle in ${maxSteps} steps`);
}

/** A running loader Job (pod Ready) that then goes silent past grace and silence. */
export async function silentLoader(world: World, name = "loader-1", options: Parameters<typeof loaderJob>[1] = {}): Promise<JobJson> {
  const job = await world.kube.createJob(NAMESPACE, loaderJob(name, options));
  world.kube.syncJobs();
  return job;
}

export async function goStale(world: World): Promise<void> {
  await world.clock.advance(world.config.thresholds.silenceThresholdMs + 1_000);
}

export function expectConverged(world: World, old: JobJson, taskId = "loader-1"): JobJson {
  const jobs = tasksJobs(world, taskId);
  expect(jobs.map((job) => job.metadata.name)).toEqual([`${taskId}-r1`]);
  const replacement = jobs[0]!;
  expect(replacement.spec?.suspend).toBe(false);
  expect(replacement.metadata.annotations?.[HEALER_ANNOTATIONS.replacementPending]).toBeUndefined();
  expect(replacement.metadata.annotations?.[ANNOTATIONS.replacesUid]).toBe(old.metadata.uid);
  expect(replacement.metadata.labels?.[LABELS.attempt]).toBe("1");
  expect(JSON.parse(replacement.metadata.annotations?.[ANNOTATIONS.restartHistory] ?? "[]")).toHaveLength(1);
  expect(world.kube.livePodsOf(replacement.metadata.uid ?? "")).toHaveLength(1);
  expect(world.kube.livePodsOf(old.metadata.uid ?? "")).toHaveLength(0);
  expect(world.kube.calls.filter((call) => call.verb === "create" && call.kind === "jobs" && call.name === `${taskId}-r1`).length).toBeGreaterThanOrEqual(1);
  expect(world.violations).toEqual([]);
  return replacement;
}
