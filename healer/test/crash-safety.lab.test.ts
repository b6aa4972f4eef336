/**
 * Issue 3 acceptance e: the leader healer is SIGKILLed in the middle of a remediation (HEALER_FAULT_POINT
 * after-detect / after-create / after-delete, one run each) and the other replica, or the restarted
 * container, finishes it: exactly one live Job for the task at the end, the task never without a Job,
 * and never pods of two attempts running longer than the loader pods' termination grace period.
 *
 *   npx vitest run --project lab healer/test/crash-safety.lab.test.ts
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "../../cluster/testing/eventually.ts";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import { ANNOTATIONS } from "../../workloads/queue-events/contract.ts";
import type { FaultPoint } from "../src/runtime/config.ts";
import type { DeployedHealer } from "../../cluster/healer/deploy.ts";
import {
  createJob,
  decisions,
  deleteInstanceJobs,
  deployTestHealer,
  healerLogLines,
  jobsOfTask,
  longestOverlapMs,
  podsOfJob,
  SILENCE_MS,
  testLoaderJob,
  watchTask,
} from "./healer-lab.ts";

const fixture = labFixture();
const LOADER_GRACE_SECONDS = 5;
const deployed: Array<{ instance: string; healer?: DeployedHealer }> = [];

afterAll(async () => {
  for (const { instance, healer } of deployed) {
    await deleteInstanceJobs(fixture, instance);
    await healer?.remove().catch((error: unknown) => console.error(`removing ${instance}: ${(error as Error).message}`));
  }
});

describe("healer on the lab: crash safety (SIGKILL between two steps of a remediation)", () => {
  for (const point of ["after-detect", "after-create", "after-delete"] as const satisfies readonly FaultPoint[]) {
    it(`e) leader killed ${point}: the remaining or restarted healer finishes with exactly one live Job`, async () => {
      const instance = uniqueName(`healer-e-${point.slice(6)}`);
      const record: { instance: string; healer?: DeployedHealer } = { instance };
      deployed.push(record);
      const healer = await deployTestHealer(fixture, instance, { replicas: 2, faultPoint: point });
      record.healer = healer;
      const firstLeader = (await healer.leader())!;
      expect(firstLeader).toBeDefined();

      const taskId = uniqueName(`crash-${point.slice(6)}`);
      const watch = watchTask(fixture, taskId, 200);
      try {
        const old = await createJob(fixture, testLoaderJob(instance, { name: taskId, messages: 100_000, ratePerSec: 20, faults: "stall-after=12s", terminationGracePeriodSeconds: LOADER_GRACE_SECONDS }));
        const createdAtMs = Date.now();
        const oldUid = old.metadata!.uid!;

        // The hook fired: the leader logged it and died (its container restarts, or the standby leads).
        const killLine = await eventually(
          `a healer of ${instance} to reach ${point} and SIGKILL itself`,
          async () => healerLogLines(fixture, instance).find((line) => line.faultPoint === point && String(line.msg).startsWith("HEALER_FAULT_POINT reached")),
          (line) => line !== undefined,
          { timeoutMs: 90_000, intervalMs: 250 },
        );
        const killedAtMs = Date.parse(killLine!.time as string);

        const done = await eventually(
          `${taskId}-r1 running, ${taskId} and its pods gone`,
          async () => {
            const jobs = await jobsOfTask(fixture, taskId);
            const replacement = jobs.find((job) => job.metadata?.name === `${taskId}-r1`);
            const pods = replacement ? await podsOfJob(fixture, replacement.metadata!.uid!) : [];
            return { jobs: jobs.map((job) => job.metadata!.name!), replacement, running: pods.filter((pod) => pod.status?.phase === "Running").length, oldPods: (await podsOfJob(fixture, oldUid)).length };
          },
          (state) => state.jobs.length === 1 && state.replacement?.spec?.suspend === false && state.running === 1 && state.oldPods === 0,
          { timeoutMs: 120_000, intervalMs: 250 },
        );
        const finishedAtMs = Date.now();
        // Stays that way: no second replacement, the replacement keeps running.
        await sleep(SILENCE_MS + 3_000);
        await watch.stop();
        const jobs = await jobsOfTask(fixture, taskId);
        expect(jobs.map((job) => job.metadata!.name)).toEqual([`${taskId}-r1`]);
        expect(jobs[0]!.metadata!.uid).toBe(done.replacement!.metadata!.uid);
        expect(jobs[0]!.metadata!.annotations![ANNOTATIONS.replacesUid]).toBe(oldUid);
        expect((await podsOfJob(fixture, jobs[0]!.metadata!.uid!)).filter((pod) => pod.status?.phase === "Running")).toHaveLength(1);

        // Never without a Job (none lost), never two attempts running beyond the grace period.
        // Samples whose Job list was sent once the Job existed. Not creationTimestamp + 1 s: it has whole
        // seconds, so a Job created at x.95 s let in a sample whose Job list went out before it and whose
        // pod list came back after its pod appeared (the cold `.ci/run` of 800cf9f failed twice on such a
        // sample, 26 ms and 22 ms past a whole second: "no Job" while the old attempt's pod ran).
        const samples = watch.samples.filter((sample) => sample.listedFromMs >= createdAtMs);
        expect(samples.length).toBeGreaterThan(20);
        const empty = samples.filter((sample) => sample.jobs.length === 0);
        expect(empty, "samples where the task had no Job").toEqual([]);
        const overlapMs = longestOverlapMs(samples);
        const maxLive = Math.max(...samples.map((sample) => sample.live.length));
        console.log(`e) ${point}: killed at +0, finished after ${finishedAtMs - killedAtMs} ms; longest overlap of two attempts' pods ${overlapMs} ms; at most ${maxLive} unsuspended live Jobs at once`);
        expect(overlapMs).toBeLessThanOrEqual(LOADER_GRACE_SECONDS * 1000);

        // The kill really happened where asked, and another process (standby or restart) finished.
        const lines = decisions(fixture, instance).filter((line) => line.taskId === taskId);
        const finisher = lines.find((line) => (line.action === "resume" || line.action === "replace") && line.result === "success");
        expect(finisher, JSON.stringify(lines.map((line) => [line.pod, line.action, line.result, line.detail]))).toBeDefined();
        const killedPod = killLine!.pod;
        const killedPodNow = (await healer.pods()).find((pod) => pod.name === killedPod);
        expect(finisher!.atMs).toBeGreaterThan(killedAtMs);
        expect(finisher!.pod !== killedPod || (killedPodNow?.restartCount ?? 0) >= 1).toBe(true);
        if (point === "after-detect") {
          // Nothing was created before the kill; the finisher started the remediation afresh.
          expect(lines.filter((line) => line.action === "replace" && line.result === "waiting" && line.atMs < killedAtMs)).toEqual([]);
          expect(finisher!.action).toBe("replace");
        } else {
          // The replacement existed before the kill: the finisher resumed it rather than creating another.
          expect(finisher!.action).toBe("resume");
        }
        expect(lines.filter((line) => line.action === "replace" && line.detail === "replacement created suspended")).toHaveLength(1);
      } finally {
        await watch.stop();
      }
    });
  }
});
