/**
 * The healer against the real lab (issue 3 acceptance a, b, c, f, g, h): its own Deployment's pod run
 * by the sim's process runtime (pod-bound ServiceAccount, so its RBAC is real), the real API server
 * and Job controller, real Kafka, real loaders. Thresholds are small (healer-lab.ts). Each test checks
 * the negative too: nothing else was touched.
 *
 *   npx vitest run --project lab healer/test/healer.lab.test.ts
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompressionTypes } from "kafkajs";
import { eventually } from "../../cluster/testing/eventually.ts";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import { ANNOTATIONS, QUEUE_EVENTS_TOPIC, LOADER_FATAL_EXIT_CODE } from "../../workloads/queue-events/contract.ts";
import type { DeployedHealer } from "../../cluster/healer/deploy.ts";
import {
  condition,
  createJob,
  decisions,
  deleteInstanceJobs,
  deployTestHealer,
  GRACE_MS,
  jobsOfInstance,
  jobsOfTask,
  kubeEvents,
  metricValue,
  NAMESPACE,
  NO_PROGRESS_MS,
  podsOfJob,
  type QueueEventsTap,
  SILENCE_MS,
  tapQueueEvents,
  testLoaderJob,
} from "./healer-lab.ts";

const fixture = labFixture();
const instance = uniqueName("healer-t");
let healer: DeployedHealer;
let tap: QueueEventsTap;

beforeAll(async () => {
  tap = await tapQueueEvents(fixture, `${instance}-tap`);
  healer = await deployTestHealer(fixture, instance, { replicas: 1 });
});

afterAll(async () => {
  await deleteInstanceJobs(fixture, instance);
  await healer?.remove().catch((error: unknown) => console.error(`removing ${instance}: ${(error as Error).message}`));
  await tap?.stop();
});

/** A loader that runs far longer than any test (100 000 records at 20/s). */
function longLoader(taskId: string, extra: Partial<Parameters<typeof testLoaderJob>[1]> = {}) {
  return testLoaderJob(instance, { name: taskId, messages: 100_000, ratePerSec: 20, ...extra });
}

/** Waits for the loader's `started` on queue-events (its process runs and reaches Kafka). */
async function started(jobUid: string, timeoutMs = 60_000) {
  return eventually(`started from Job uid ${jobUid}`, async () => workerEvents(jobUid).filter((event) => event.type === "started"), (found) => found.length > 0, { timeoutMs });
}

/** Waits until `<task>-r<attempt>` exists, runs (not suspended, a Running pod), and the Jobs before it are gone with all their pods. */
async function replacedBy(taskId: string, oldUids: string[], attempt: number, timeoutMs = 90_000) {
  const name = `${taskId}-r${attempt}`;
  return eventually(
    `${name} running and ${oldUids.length} earlier attempt(s) gone with their pods`,
    async () => {
      const jobs = await jobsOfTask(fixture, taskId);
      const replacement = jobs.find((job) => job.metadata?.name === name);
      const pods = replacement ? await podsOfJob(fixture, replacement.metadata!.uid!) : [];
      const oldPods = (await Promise.all(oldUids.map((uid) => podsOfJob(fixture, uid)))).flat();
      return { jobs: jobs.map((job) => job.metadata!.name), replacement, running: pods.filter((pod) => pod.status?.phase === "Running").length, oldPods: oldPods.length, oldJobs: jobs.filter((job) => oldUids.includes(job.metadata!.uid!)).length };
    },
    (state) => state.replacement !== undefined && state.replacement.spec?.suspend === false && state.running === 1 && state.oldPods === 0 && state.oldJobs === 0,
    { timeoutMs, intervalMs: 250 },
  );
}

/** What the loader of a Job said (not the healer's healer.* events about that Job). */
function workerEvents(jobUid: string) {
  return tap.of((event) => event.jobUid === jobUid && !event.type.startsWith("healer.")).map((tapped) => tapped.event);
}

function decisionsFor(uid: string) {
  return decisions(fixture, instance).filter((line) => line.uid === uid);
}

describe("healer on the lab: detection and remediation", () => {
  it("a) a stalled loader is replaced: <task>-r1 runs, the old Job and its pods are gone, decided within silence + 2 s of the last event, nothing else touched", async () => {
    const taskId = uniqueName("stall");
    const bystanderId = uniqueName("healthy");
    const bystander = await createJob(fixture, longLoader(bystanderId));
    // The stall comes after the grace period (8 s from Ready), so the decision is timed by silence alone.
    const old = await createJob(fixture, longLoader(taskId, { faults: "stall-after=12s" }));
    const oldUid = old.metadata!.uid!;
    await started(oldUid);
    await started(bystander.metadata!.uid!);

    const state = await replacedBy(taskId, [oldUid], 1);
    expect(state.jobs).toEqual([`${taskId}-r1`]);
    const replacement = state.replacement!;
    expect(replacement.metadata?.annotations?.[ANNOTATIONS.replacesUid]).toBe(oldUid);
    expect(replacement.metadata?.annotations?.[ANNOTATIONS.reason]).toBe("STOP");

    // Decision timing: healer's decision-log line vs the last event the stalled loader produced.
    const detected = decisionsFor(oldUid).find((line) => line.action === "detect" && line.result === "detected");
    const lastEventTs = Math.max(...workerEvents(oldUid).map((event) => event.ts));
    expect(detected, JSON.stringify(decisionsFor(oldUid))).toBeDefined();
    expect(detected!.reason).toBe("STOP");
    const decisionAfterLastEventMs = detected!.atMs - lastEventTs;
    console.log(`a) decision ${decisionAfterLastEventMs} ms after the last event (bound ${SILENCE_MS + 2_000} ms)`);
    expect(decisionAfterLastEventMs).toBeGreaterThan(SILENCE_MS);
    expect(decisionAfterLastEventMs).toBeLessThanOrEqual(SILENCE_MS + 2_000);

    // The replacement runs clean (the fault applies to attempt 0 only) and keeps reporting.
    const r1Uid = replacement.metadata!.uid!;
    await started(r1Uid);
    await sleep(SILENCE_MS + 3_000);
    expect((await jobsOfTask(fixture, taskId)).map((job) => job.metadata!.name)).toEqual([`${taskId}-r1`]);
    expect(tap.of((event) => event.jobUid === r1Uid && event.type === "heartbeat").length).toBeGreaterThan(3);

    // Nothing else touched: the bystander is the same object, never replaced, never the subject of a decision.
    const bystanderNow = await fixture.batch.readNamespacedJob({ name: bystanderId, namespace: NAMESPACE });
    expect(bystanderNow.metadata?.uid).toBe(bystander.metadata!.uid);
    expect(bystanderNow.metadata?.deletionTimestamp).toBeUndefined();
    expect(await jobsOfTask(fixture, bystanderId)).toHaveLength(1);
    expect(decisionsFor(bystander.metadata!.uid!)).toEqual([]);
    const acted = decisions(fixture, instance).filter((line) => line.action === "replace" || line.action === "give-up");
    expect(new Set(acted.map((line) => line.uid))).toEqual(new Set([oldUid]));
    await fixture.batch.deleteNamespacedJob({ name: bystanderId, namespace: NAMESPACE, body: { propagationPolicy: "Background" } });
  });

  it("b) a critical error event: the replacement is created within 2 s", async () => {
    const taskId = uniqueName("critical");
    const old = await createJob(fixture, longLoader(taskId, { faults: "critical-error-after=5s" }));
    const oldUid = old.metadata!.uid!;
    const [error] = await eventually(
      "the critical error event",
      async () => tap.of((event) => event.jobUid === oldUid && event.type === "error" && event.severity === "critical"),
      (found) => found.length > 0,
      { timeoutMs: 60_000 },
    );
    const state = await replacedBy(taskId, [oldUid], 1);
    expect(state.jobs).toEqual([`${taskId}-r1`]);
    expect(state.replacement!.metadata?.annotations?.[ANNOTATIONS.reason]).toBe("FAULT");
    const lines = decisionsFor(oldUid);
    const detected = lines.find((line) => line.action === "detect" && line.result === "detected");
    const created = lines.find((line) => line.action === "replace" && line.result === "waiting" && line.detail === "replacement created suspended");
    expect(detected?.reason, JSON.stringify(lines)).toBe("FAULT");
    expect(created, JSON.stringify(lines)).toBeDefined();
    const createdMs = created!.atMs - error!.event.ts;
    console.log(`b) FAULT decision ${detected!.atMs - error!.event.ts} ms, replacement created ${createdMs} ms after the critical error (bound 2000 ms)`);
    expect(createdMs).toBeLessThanOrEqual(2_000);
    // Cross-check against the API server's own clock (whole seconds).
    const creation = Date.parse(String(state.replacement!.metadata!.creationTimestamp));
    expect(creation - error!.event.ts).toBeLessThanOrEqual(2_000 + 1_000);
  });

  it("c) a heartbeat-only stall is replaced after the no-progress threshold", async () => {
    const taskId = uniqueName("hbonly");
    const old = await createJob(fixture, longLoader(taskId, { faults: "heartbeat-only-after=12s" }));
    const oldUid = old.metadata!.uid!;
    await started(oldUid);
    const state = await replacedBy(taskId, [oldUid], 1);
    expect(state.replacement!.metadata?.annotations?.[ANNOTATIONS.reason]).toBe("STALL");
    const detected = decisionsFor(oldUid).find((line) => line.action === "detect" && line.result === "detected");
    expect(detected?.reason).toBe("STALL");
    expect(detected!.noProgressMs).toBeGreaterThan(NO_PROGRESS_MS);
    // Heartbeats kept coming (this is no silence) while progress stood still.
    const events = workerEvents(oldUid);
    const finalProgress = Math.max(...events.map((event) => event.progress ?? 0));
    const firstAtFinal = Math.min(...events.filter((event) => event.progress === finalProgress).map((event) => event.ts));
    const heartbeatsAfter = events.filter((event) => event.type === "heartbeat" && event.ts > firstAtFinal + 1_000 && event.ts < detected!.atMs);
    expect(heartbeatsAfter.length).toBeGreaterThanOrEqual(3);
    const decisionAfterProgressMs = detected!.atMs - firstAtFinal;
    console.log(`c) STALL decision ${decisionAfterProgressMs} ms after progress last advanced (threshold ${NO_PROGRESS_MS} ms), ${heartbeatsAfter.length} heartbeats in between`);
    expect(decisionAfterProgressMs).toBeGreaterThan(NO_PROGRESS_MS);
    expect(decisionAfterProgressMs).toBeLessThanOrEqual(NO_PROGRESS_MS + 2_000);
  });

  it("f) 1,000 invalid messages are counted and skipped; a real stall is still detected afterwards", async () => {
    const before = await healer.metrics();
    const leaderBefore = await healer.leader();
    const producer = fixture.kafkaDirect(`${instance}-junk`).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const notJson = Array.from({ length: 500 }, (_, index) => ({ key: `junk-${index}`, value: `not json {${index}` }));
    const wrongSchema = Array.from({ length: 490 }, (_, index) => ({
      key: `junk-${index}`,
      value: JSON.stringify(index % 2 === 0 ? { v: 2, type: "heartbeat" } : { v: 1, type: "explode", jobUid: "x", seq: -1 }),
    }));
    // 1 MiB each; gzip on the wire keeps the batch under the broker's 1 MB message limit, the healer sees 1 MiB.
    const oversized = Array.from({ length: 10 }, (_, index) => ({ key: `junk-big-${index}`, value: Buffer.alloc(1024 * 1024, 0x7b) }));
    await producer.send({ topic: QUEUE_EVENTS_TOPIC, messages: notJson, acks: -1 });
    await producer.send({ topic: QUEUE_EVENTS_TOPIC, messages: wrongSchema, acks: -1 });
    for (const message of oversized) await producer.send({ topic: QUEUE_EVENTS_TOPIC, messages: [message], acks: -1, compression: CompressionTypes.GZIP });
    await producer.disconnect();

    const delta = (text: string, reason: string) => metricValue(text, "healer_events_invalid_total", { reason }) - metricValue(before, "healer_events_invalid_total", { reason });
    const after = await eventually(
      "healer_events_invalid_total to count the 1,000 invalid records",
      () => healer.metrics(),
      (text) => delta(text, "not-json") + delta(text, "schema") + delta(text, "oversized") >= 1_000,
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    console.log(`f) invalid counted: not-json +${delta(after, "not-json")}, schema +${delta(after, "schema")}, oversized +${delta(after, "oversized")}`);
    expect(delta(after, "not-json")).toBe(500);
    expect(delta(after, "schema")).toBe(490);
    expect(delta(after, "oversized")).toBe(10);
    // Same process, no restart, still the leader.
    const leaderAfter = await healer.leader();
    expect(leaderAfter?.uid).toBe(leaderBefore?.uid);
    expect(leaderAfter?.restartCount).toBe(leaderBefore?.restartCount);

    const taskId = uniqueName("after-junk");
    const old = await createJob(fixture, longLoader(taskId, { faults: "stall-after=12s" }));
    await started(old.metadata!.uid!);
    const state = await replacedBy(taskId, [old.metadata!.uid!], 1);
    expect(state.replacement!.metadata?.annotations?.[ANNOTATIONS.reason]).toBe("STOP");
  });

  it("g) a loader that always stalls is replaced at most the budget's number of times, then marked GaveUp", async () => {
    const budget = 3;
    const taskId = uniqueName("always");
    const old = await createJob(fixture, longLoader(taskId, { faults: "stall-after=2s", faultAttempts: "all" }));
    let previous = [old.metadata!.uid!];
    for (let attempt = 1; attempt <= budget; attempt++) {
      const state = await replacedBy(taskId, previous, attempt, 120_000);
      previous = [state.replacement!.metadata!.uid!];
    }
    const last = await eventually(
      `${taskId}-r${budget} marked GaveUp`,
      () => fixture.batch.readNamespacedJob({ name: `${taskId}-r${budget}`, namespace: NAMESPACE }),
      (job) => job.metadata?.annotations?.[ANNOTATIONS.gaveUp] !== undefined,
      { timeoutMs: 90_000 },
    );
    expect(JSON.parse(last.metadata!.annotations![ANNOTATIONS.restartHistory]!)).toHaveLength(budget);
    const events = await kubeEvents(fixture, `${taskId}-r${budget}`);
    expect(events.map((event) => event.reason)).toContain("RestartBudgetExhausted");
    // Left alone: no further attempt, the GaveUp Job is not deleted.
    await sleep(GRACE_MS + SILENCE_MS + 5_000);
    expect((await jobsOfTask(fixture, taskId)).map((job) => job.metadata!.name)).toEqual([`${taskId}-r${budget}`]);
    const lines = decisions(fixture, instance).filter((line) => line.taskId === taskId);
    expect(lines.filter((line) => line.action === "replace" && line.result === "success")).toHaveLength(budget);
    expect(lines.filter((line) => line.action === "give-up" && line.result === "success")).toHaveLength(1);
  });

  it("h) a pod deleted under a backoffLimit 0 Job (Failed by disruption) is replaced; a fatal exit is left alone", async () => {
    const disruptedId = uniqueName("podkill");
    const fatalId = uniqueName("fatal");
    const disrupted = await createJob(fixture, longLoader(disruptedId, { backoffLimit: 0 }));
    const fatal = await createJob(fixture, longLoader(fatalId, { backoffLimit: 0, faults: "fatal-after=3s" }));
    const disruptedUid = disrupted.metadata!.uid!;
    await started(disruptedUid);
    const [pod] = await podsOfJob(fixture, disruptedUid);
    await fixture.core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: NAMESPACE });

    // The Job controller fails the Job (backoffLimit 0) ...
    await eventually(
      `${disruptedId} Failed or replaced`,
      async () => (await jobsOfTask(fixture, disruptedId)).map((job) => ({ name: job.metadata?.name, failed: condition(job, "Failed")?.reason ?? condition(job, "FailureTarget")?.reason })),
      (jobs) => jobs.some((job) => job.name === disruptedId && job.failed !== undefined) || jobs.some((job) => job.name === `${disruptedId}-r1`),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // ... and the healer replaces it.
    const state = await replacedBy(disruptedId, [disruptedUid], 1);
    expect(state.replacement!.metadata?.annotations?.[ANNOTATIONS.reason]).toBe("DISRUPTED");

    // The fatal one: Failed by podFailurePolicy (exit 42), never replaced.
    const fatalJob = await eventually(
      `${fatalId} Failed by PodFailurePolicy`,
      () => fixture.batch.readNamespacedJob({ name: fatalId, namespace: NAMESPACE }),
      (job) => condition(job, "Failed") !== undefined,
      { timeoutMs: 60_000 },
    );
    expect(condition(fatalJob, "Failed")?.reason).toBe("PodFailurePolicy");
    const [fatalPod] = await podsOfJob(fixture, fatal.metadata!.uid!);
    expect(fatalPod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(LOADER_FATAL_EXIT_CODE);
    await sleep(GRACE_MS + SILENCE_MS + 5_000);
    const fatalJobs = await jobsOfTask(fixture, fatalId);
    expect(fatalJobs.map((job) => job.metadata!.name)).toEqual([fatalId]);
    expect(fatalJobs[0]!.metadata!.uid).toBe(fatal.metadata!.uid);
    expect(decisionsFor(fatal.metadata!.uid!).filter((line) => line.action === "replace" && line.result !== "skipped")).toEqual([]);
    // Nothing but this file's Jobs is ever touched by this instance.
    const names = (await jobsOfInstance(fixture, instance)).map((job) => job.metadata!.name!);
    expect(names.every((name) => name.startsWith(instance) || /^(stall|healthy|critical|hbonly|after-junk|always|podkill|fatal)-/.test(name))).toBe(true);
  });
});
