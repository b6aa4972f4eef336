/**
 * The reconciler's guards (never makes things worse), disruption, the restart budget and rate limit,
 * and what happens after the swap — in the world of reconciler.test.ts (testing/reconciler-world.ts).
 */
import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import { detect } from "../detection/detector.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import { loaderJob, NAMESPACE } from "../testing/fixtures.ts";
import { drive, expectConverged, goStale, newProcess, newWorld, silentLoader } from "../testing/reconciler-world.ts";

describe("remediation", () => {
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
