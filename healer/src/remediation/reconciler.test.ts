/**
 * The reconciler against an in-memory API server, on simulated time. The heart of it: a healer killed
 * at each step of a remediation, and a fresh healer process (empty memory, caches rebuilt from the
 * cluster) converging to exactly one live attempt — with the task never left without a Job and never
 * two attempts running side by side.
 */
import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import { detect } from "../detection/detector.ts";
import type { JobJson } from "../kube/kube-types.ts";
import { keysToResume } from "./reconciler.ts";
import { loaderJob, NAMESPACE } from "../testing/fixtures.ts";
import { checkInvariants, Crash, drive, expectConverged, goStale, newProcess, newWorld, silentLoader, tasksJobs } from "../testing/reconciler-world.ts";

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

});
