/**
 * The reconciler against an in-memory API server, on simulated time. The heart of it: a healer killed
 * at each step of a remediation, and a fresh healer process (empty memory, caches rebuilt from the
 * cluster) converging to exactly one live attempt — with the task never left without a Job and never
 * two attempts running side by side.
 */
import { describe, expect, it } from "vitest";
import { ANNOTATIONS, LABELS } from "../../workloads/queue-events/contract.ts";
import { ManualClock } from "./clock.ts";
import type { FaultPoint, HealerConfig } from "./config.ts";
import { DecisionLog } from "./decision-log.ts";
import { detect } from "./detector.ts";
import { EventRecorder } from "./events-recorder.ts";
import { HEALER_ANNOTATIONS } from "./job-facts.ts";
import type { JobJson, PodJson } from "./kube-types.ts";
import { createMetrics, type HealerMetrics } from "./metrics.ts";
import { TokenBucket } from "./rate-limiter.ts";
import { keysToResume, Reconciler } from "./reconciler.ts";
import { JobTracker } from "./tracker.ts";
import { FakeKube } from "./testing/fake-kube.ts";
import { captureLogger, type CapturedLog, loaderJob, NAMESPACE, testConfig } from "./testing/fixtures.ts";

class Crash extends Error {}

interface World {
  clock: ManualClock;
  kube: FakeKube;
  config: HealerConfig;
  log: CapturedLog;
  metrics: HealerMetrics;
  violations: string[];
}

interface HealerProcess {
  tracker: JobTracker;
  reconciler: Reconciler;
  published: Array<{ type: string; reason: string; replacementJobName?: string }>;
  sync(): void;
}

function newWorld(env: Record<string, string> = {}): World {
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

function tasksJobs(world: World, taskId = "loader-1"): JobJson[] {
  return world.kube.jobs(NAMESPACE).filter((job) => job.metadata.labels?.[LABELS.taskId] === taskId);
}

function checkInvariants(world: World, when: string, taskId = "loader-1"): void {
  if (tasksJobs(world, taskId).length === 0) world.violations.push(`${when}: task ${taskId} has no Job`);
  const owners = new Set(
    world.kube
      .pods(NAMESPACE)
      .filter((pod) => pod.status?.phase !== "Failed" && pod.status?.phase !== "Succeeded")
      .map((pod) => pod.metadata.ownerReferences?.[0]?.uid ?? `orphan:${pod.metadata.name}`),
  );
  if (owners.size > 1) world.violations.push(`${when}: ${owners.size} attempts have live pods`);
}

function newProcess(world: World, options: { faultAt?: FaultPoint; leader?: boolean; breakerOpen?: boolean; config?: HealerConfig } = {}): HealerProcess {
  const config = options.config ?? world.config;
  const tracker = new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
  const published: HealerProcess["published"] = [];
  const seenPods = new Map<string, PodJson>();
  const sync = () => {
    const now = world.clock.monotonicMs();
    const jobs = world.kube.jobs(NAMESPACE).filter((job) => job.metadata.labels?.[LABELS.managed] === "true");
    for (const job of jobs) tracker.upsertJob(job, now);
    for (const entry of [...tracker.all()]) if (!jobs.some((job) => job.metadata.uid === entry.uid)) tracker.removeJob(entry.uid, now);
    const pods = world.kube.pods(NAMESPACE);
    for (const pod of pods) {
      tracker.upsertPod(pod, now);
      seenPods.set(pod.metadata.uid ?? "", pod);
    }
    for (const [uid, pod] of seenPods) {
      if (!pods.some((current) => current.metadata.uid === uid)) {
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
async function drive(world: World, healer: HealerProcess, key: string, maxSteps = 200): Promise<void> {
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
async function silentLoader(world: World, name = "loader-1", options: Parameters<typeof loaderJob>[1] = {}): Promise<JobJson> {
  const job = await world.kube.createJob(NAMESPACE, loaderJob(name, options));
  world.kube.syncJobs();
  return job;
}

async function goStale(world: World): Promise<void> {
  await world.clock.advance(world.config.thresholds.silenceThresholdMs + 1_000);
}

function expectConverged(world: World, old: JobJson, taskId = "loader-1"): JobJson {
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

describe("remediation", () => {
  it("replaces a silent Job: replacement created suspended, old deleted with body options, activated once the old pod is gone", async () => {
    const world = newWorld();
    const old = await silentLoader(world);
    const healer = newProcess(world);
    await goStale(world);
    await drive(world, healer, old.metadata.uid!);
    const replacement = expectConverged(world, old);

    const mutations = world.kube.mutations().map((call) => `${call.verb} ${call.name}`);
    expect(mutations).toEqual(["create loader-1", "create loader-1-r1", "delete loader-1", "patch loader-1-r1"]);
    const deletion = world.kube.calls.find((call) => call.verb === "delete");
    expect(deletion?.body).toEqual({ apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background", preconditions: { uid: old.metadata.uid } });
    const created = world.kube.calls.find((call) => call.verb === "create" && call.name === "loader-1-r1")?.body as JobJson;
    expect(created.spec?.suspend).toBe(true);
    expect(created.spec?.selector).toBeUndefined();

    const reasons = world.kube.events(NAMESPACE).map((event) => `${event.reason}@${event.involvedObject.name}`);
    expect(reasons).toEqual(["Replacing@loader-1", "Replaced@loader-1"]);
    expect(world.kube.events(NAMESPACE).find((event) => event.reason === "Replaced")?.involvedObject.uid).toBe(old.metadata.uid);
    expect(healer.published).toEqual([{ type: "healer.replaced", reason: "STOP", replacementJobName: "loader-1-r1" }]);
    expect(replacement.metadata.annotations?.[ANNOTATIONS.reason]).toBe("STOP");
    const decision = world.log.decisions().find((line) => line.action === "replace" && line.result === "success");
    expect(decision).toMatchObject({ uid: old.metadata.uid, job: "loader-1", taskId: "loader-1", attempt: 0, breaker: { state: "closed" }, leader: true });
    expect(world.log.decisions().find((line) => line.result === "waiting")).toMatchObject({ silenceMs: expect.any(Number), thresholds: world.config.thresholds });
  });

  it("the old attempt's pods terminate BEFORE the replacement gets any (no two writers)", async () => {
    const world = newWorld();
    const old = await silentLoader(world);
    const healer = newProcess(world);
    await goStale(world);
    healer.sync();
    const first = await healer.reconciler.reconcile(old.metadata.uid!);
    expect(first.requeueAfterMs).toBe(world.config.remediation.pollIntervalMs);
    // The old pod is terminating (grace 5s); the replacement exists but is suspended: no pod yet.
    world.kube.syncJobs();
    expect(world.kube.pods(NAMESPACE).map((pod) => pod.metadata.ownerReferences?.[0]?.uid)).toEqual([old.metadata.uid]);
    expect(world.kube.job(NAMESPACE, "loader-1-r1")?.spec?.suspend).toBe(true);
    await drive(world, healer, old.metadata.uid!);
    expectConverged(world, old);
  });

  describe("crash safety: a healer killed at each step, a fresh one finishes the job", () => {
    for (const point of ["after-detect", "after-create", "after-delete"] as const) {
      it(`killed ${point}`, async () => {
        const world = newWorld();
        const old = await silentLoader(world);
        const doomed = newProcess(world, { faultAt: point });
        await goStale(world);
        await expect(drive(world, doomed, old.metadata.uid!)).rejects.toBeInstanceOf(Crash);
        checkInvariants(world, `crash ${point}`);

        // A new process: no memory, caches rebuilt from the API server, leader at once.
        const restarted = newProcess(world);
        let keys = keysToResume(restarted.tracker);
        if (point === "after-detect") {
          // Nothing was mutated: the Job is simply still stale, and is detected again after a fresh grace.
          expect(keys).toEqual([]);
          expect(tasksJobs(world).map((job) => job.metadata.name)).toEqual(["loader-1"]);
          await goStale(world);
          const entry = restarted.tracker.get(old.metadata.uid!)!;
          expect(detect(entry, entry.thresholds, world.clock.monotonicMs())).toMatchObject({ kind: "stuck", reason: "STOP" });
          keys = [old.metadata.uid!];
        } else {
          expect(keys).toEqual([old.metadata.uid]);
        }
        for (const key of keys) await drive(world, restarted, key);
        expectConverged(world, old);
        // Even when the old Job was already gone, the decision names it (replaces-name on the replacement).
        expect(world.kube.events(NAMESPACE).filter((event) => event.reason === "Replaced").map((event) => event.involvedObject.name)).toEqual(["loader-1"]);
        expect(restarted.published.find((event) => event.type === "healer.replaced")).toMatchObject({ replacementJobName: "loader-1-r1" });
        expect(world.kube.calls.filter((call) => call.verb === "create" && call.name === "loader-1-r1")).toHaveLength(1);
      });
    }

    it("a create whose response was lost is not repeated: the next pass finds the replacement by replaces-uid", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      const createJob = world.kube.createJob.bind(world.kube);
      let lose = true;
      world.kube.createJob = async (namespace, job) => {
        const created = await createJob(namespace, job);
        if (lose && job.metadata.name === "loader-1-r1") {
          lose = false;
          throw new Error("socket hang up");
        }
        return created;
      };
      healer.sync();
      await expect(healer.reconciler.reconcile(old.metadata.uid!)).rejects.toThrow("socket hang up");
      await drive(world, healer, old.metadata.uid!);
      expectConverged(world, old);
    });

    it("409 AlreadyExists with a matching replaces-uid counts as success", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const first = newProcess(world, { faultAt: "after-create" });
      await goStale(world);
      await expect(drive(world, first, old.metadata.uid!)).rejects.toBeInstanceOf(Crash);
      // A second healer whose list does not (yet) show the replacement creates it again: 409.
      const second = newProcess(world);
      const listJobs = world.kube.listJobs.bind(world.kube);
      world.kube.listJobs = async (namespace, selector) => (await listJobs(namespace, selector)).filter((job) => job.metadata.name !== "loader-1-r1");
      second.sync();
      second.tracker.get(old.metadata.uid!)!.graceStartMs = -1_000_000;
      await second.reconciler.reconcile(old.metadata.uid!);
      world.kube.listJobs = listJobs;
      await drive(world, second, old.metadata.uid!);
      expectConverged(world, old);
      expect(world.kube.calls.filter((call) => call.verb === "create" && call.name === "loader-1-r1")).toHaveLength(2);
    });

    it("a name taken by an unrelated Job stops with ReplacementStalled and leaves the old Job alone", async () => {
      const world = newWorld();
      await world.kube.createJob(NAMESPACE, loaderJob("loader-1-r1", { taskId: "someone-else" }));
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      healer.sync();
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.job(NAMESPACE, "loader-1")?.metadata.uid).toBe(old.metadata.uid);
      expect(world.kube.calls.filter((call) => call.verb === "delete")).toEqual([]);
      const event = world.kube.events(NAMESPACE).find((candidate) => candidate.reason === "ReplacementStalled");
      expect(event?.message).toContain("is taken by Job uid");
      expect(healer.tracker.get(old.metadata.uid!)?.episode).toBeUndefined();
    });
  });

  describe("never makes things worse", () => {
    const guards: Array<[string, Parameters<typeof newProcess>[1], string]> = [
      ["the circuit breaker is open", { breakerOpen: true }, "suppressed"],
      ["this replica is not the leader", { leader: false }, "not-leader"],
    ];
    for (const [why, options, result] of guards) {
      it(`makes zero mutations when ${why}`, async () => {
        const world = newWorld();
        const old = await silentLoader(world);
        const healer = newProcess(world, options);
        await goStale(world);
        healer.sync();
        expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
        expect(world.kube.mutations().map((call) => call.name)).toEqual(["loader-1"]);
        expect(world.log.decisions().at(-1)).toMatchObject({ action: "replace", result });
      });
    }

    it("dry-run detects and reports but mutates nothing", async () => {
      const world = newWorld({ HEALER_DRY_RUN: "true" });
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      healer.sync();
      healer.tracker.get(old.metadata.uid!)!.episode = { reason: "STOP", detectedAtMs: 0, parked: false };
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.mutations().map((call) => call.name)).toEqual(["loader-1"]);
      expect(world.log.decisions().at(-1)).toMatchObject({ action: "replace", result: "dry-run", dryRun: true, reason: "STOP" });
      expect(healer.tracker.get(old.metadata.uid!)?.episode?.parked).toBe(true);
    });

    const untouchable: Array<[string, (job: JobJson) => void]> = [
      ["suspended", (job) => (job.spec!.suspend = true)],
      ["being deleted", (job) => (job.metadata.deletionTimestamp = "2025-01-01T00:00:00Z")],
      ["Complete", (job) => (job.status = { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] })],
      ["failed by the loader's fatal exit code", (job) => (job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "PodFailurePolicy" }] })],
      ["marked GaveUp", (job) => (job.metadata.annotations = { ...job.metadata.annotations, [ANNOTATIONS.gaveUp]: "2025-01-01T00:00:00Z" })],
    ];
    for (const [state, change] of untouchable) {
      it(`never acts on a Job that is ${state}, even when the cache thought it was stale`, async () => {
        const world = newWorld();
        const old = await silentLoader(world);
        const healer = newProcess(world);
        await goStale(world);
        // The fresh GET sees what the cache did not yet.
        world.kube.update<JobJson>("jobs", NAMESPACE, "loader-1", change);
        expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
        expect(world.kube.mutations().map((call) => call.name)).toEqual(["loader-1"]);
        expect(world.log.decisions().at(-1)).toMatchObject({ result: "skipped" });
      });
    }

    it("double-checks staleness with the latest events: a Job that spoke meanwhile is left alone", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      healer.tracker.get(old.metadata.uid!)!.lastEventMs = world.clock.monotonicMs();
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.log.decisions().at(-1)).toMatchObject({ result: "recovered" });
      expect(world.kube.mutations()).toHaveLength(1);
    });

    it("a Job replaced under a different UID (same name) is not touched by a stale key", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      world.kube.remove("jobs", NAMESPACE, "loader-1");
      await world.kube.createJob(NAMESPACE, loaderJob("loader-1"));
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.calls.filter((call) => call.verb === "delete")).toEqual([]);
    });
  });

  describe("disruption", () => {
    it("a Job failed (BackoffLimitExceeded) because its pod was deleted is faulty and replaced", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      const pod = world.kube.pods(NAMESPACE)[0]!;
      // pod-delete: the pod is deleted, the loader exits 143, the Job controller fails the Job.
      world.kube.remove("pods", NAMESPACE, pod.metadata.name!);
      world.kube.update<JobJson>("jobs", NAMESPACE, "loader-1", (job) => {
        job.status = { failed: 1, active: 0, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
      });
      healer.sync();
      const entry = healer.tracker.get(old.metadata.uid!)!;
      expect(detect(entry, entry.thresholds, world.clock.monotonicMs())).toMatchObject({ kind: "stuck", reason: "DISRUPTED" });
      await drive(world, healer, old.metadata.uid!);
      const replacement = expectConverged(world, old);
      expect(replacement.metadata.annotations?.[ANNOTATIONS.reason]).toBe("DISRUPTED");
    });

    it("a Job that failed by itself (its failed pod is still there) is left to the Job controller's verdict", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const pod = world.kube.pods(NAMESPACE)[0]!;
      world.kube.update<PodJson>("pods", NAMESPACE, pod.metadata.name!, (p) => (p.status = { phase: "Failed", conditions: [] }));
      world.kube.update<JobJson>("jobs", NAMESPACE, "loader-1", (job) => {
        job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
      });
      const healer = newProcess(world);
      const entry = healer.tracker.get(old.metadata.uid!)!;
      expect(entry.lifecycle).toBe("failed-other");
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.mutations()).toHaveLength(1);
    });
  });

  describe("restart budget and rate limit", () => {
    it("after the budget is spent the task is marked GaveUp and left alone", async () => {
      const world = newWorld({ HEALER_RESTART_BUDGET: "2" });
      const history = JSON.stringify([new Date(world.clock.wallMs() - 600_000).toISOString(), new Date(world.clock.wallMs() - 300_000).toISOString()]);
      const old = await silentLoader(world, "loader-1", { annotations: { [ANNOTATIONS.restartHistory]: history } });
      const healer = newProcess(world);
      await goStale(world);
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.mutations().map((call) => `${call.verb} ${call.name}`)).toEqual(["create loader-1", "patch loader-1"]);
      expect(world.kube.job(NAMESPACE, "loader-1")?.metadata.annotations?.[ANNOTATIONS.gaveUp]).toBeDefined();
      expect(world.kube.events(NAMESPACE).map((event) => event.reason)).toEqual(["RestartBudgetExhausted"]);
      expect(await world.metrics.budgetExhausted.get()).toMatchObject({ values: [{ value: 1 }] });
      healer.sync();
      expect(healer.tracker.get(old.metadata.uid!)?.lifecycle).toBe("gave-up");
    });

    it("a restart once the backoff since the previous one has passed proceeds", async () => {
      const world = newWorld();
      const history = JSON.stringify([new Date(world.clock.wallMs() - 500).toISOString()]);
      const old = await silentLoader(world, "loader-1", { annotations: { [ANNOTATIONS.restartHistory]: history } });
      const healer = newProcess(world);
      await goStale(world);
      // 1 restart in the window: base 1s after the last one — already passed after going stale (7 s).
      const result = await healer.reconciler.reconcile(old.metadata.uid!);
      expect(result.requeueAfterMs).toBe(world.config.remediation.pollIntervalMs);
    });

    it("backoff defers without mutating", async () => {
      const world = newWorld({ HEALER_RESTART_BACKOFF_BASE: "60s", HEALER_RESTART_BACKOFF_MAX: "10m" });
      const old = await silentLoader(world);
      await goStale(world);
      world.kube.update<JobJson>("jobs", NAMESPACE, "loader-1", (job) => {
        job.metadata.annotations = { ...job.metadata.annotations, [ANNOTATIONS.restartHistory]: JSON.stringify([new Date(world.clock.wallMs() - 10_000).toISOString()]) };
      });
      const healer = newProcess(world);
      healer.tracker.get(old.metadata.uid!)!.graceStartMs = -1_000_000;
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({ requeueAfterMs: 50_000 });
      expect(world.log.decisions().at(-1)).toMatchObject({ result: "backoff" });
      expect(world.kube.mutations()).toHaveLength(1);
    });

    it("the global token bucket spaces out remediations of many stuck Jobs", async () => {
      const world = newWorld({ HEALER_RATE_LIMIT_PER_MINUTE: "6", HEALER_RATE_LIMIT_BURST: "2" });
      const jobs = [];
      for (const name of ["loader-1", "loader-2", "loader-3"]) jobs.push(await silentLoader(world, name));
      const healer = newProcess(world);
      await goStale(world);
      const results = [];
      for (const job of jobs) results.push(await healer.reconciler.reconcile(job.metadata.uid!));
      expect(results.map((result) => result.requeueAfterMs)).toEqual([500, 500, 10_000]);
      expect(world.log.decisions().at(-1)).toMatchObject({ job: "loader-3", result: "rate-limited" });
    });
  });

  describe("after the swap", () => {
    it("a replacement that never gets a pod is reported ReplacementStalled once, with no loop", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      world.kube.syncJobs = () => undefined;
      // The old pod must still go away (kubelet), but no controller creates the new one.
      for (let step = 0; step < 50; step++) {
        healer.sync();
        const result = await healer.reconciler.reconcile(old.metadata.uid!);
        if (result.requeueAfterMs === undefined) break;
        await world.clock.advance(result.requeueAfterMs);
        world.kube.reapPods();
      }
      const stalled = world.kube.events(NAMESPACE).filter((event) => event.reason === "ReplacementStalled");
      expect(stalled).toHaveLength(1);
      expect(stalled[0]?.involvedObject.name).toBe("loader-1-r1");
      expect(await healer.reconciler.reconcile(old.metadata.uid!)).toEqual({});
      expect(world.kube.events(NAMESPACE).filter((event) => event.reason === "ReplacementStalled")).toHaveLength(1);
      expect(world.kube.calls.filter((call) => call.verb === "create" && call.kind === "jobs")).toHaveLength(2);
    });

    it("old pods lingering past their grace period are reported, and the replacement is activated anyway", async () => {
      const world = newWorld();
      const old = await silentLoader(world);
      const healer = newProcess(world);
      await goStale(world);
      // A node that stopped answering: the pod keeps its deletionTimestamp and never goes away.
      world.kube.reapPods = () => undefined;
      const times: Record<string, number> = {};
      for (const method of ["deleteJob", "patchJob"] as const) {
        const original = world.kube[method].bind(world.kube) as (...args: unknown[]) => Promise<unknown>;
        (world.kube as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
          times[method] = world.clock.monotonicMs();
          return original(...args);
        };
      }
      for (let step = 0; step < 100; step++) {
        healer.sync();
        const result = await healer.reconciler.reconcile(old.metadata.uid!);
        if (result.requeueAfterMs === undefined || world.kube.job(NAMESPACE, "loader-1-r1")?.spec?.suspend === false) break;
        await world.clock.advance(result.requeueAfterMs);
      }
      expect(world.kube.job(NAMESPACE, "loader-1-r1")?.spec?.suspend).toBe(false);
      expect(world.kube.events(NAMESPACE).map((event) => event.reason)).toContain("OldAttemptLingering");
      // Activated only after the old pod's grace (5 s) + slack (2 s), never before.
      expect(times.patchJob! - times.deleteJob!).toBeGreaterThanOrEqual(7_000);
      expect(times.patchJob! - times.deleteJob!).toBeLessThan(7_000 + 2 * world.config.remediation.pollIntervalMs);
    });
  });
});
