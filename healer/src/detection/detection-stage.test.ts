import { describe, expect, it } from "vitest";
import { DecisionLog } from "../outputs/decision-log.ts";
import { createMetrics } from "../outputs/metrics.ts";
import { JobTracker } from "../state/tracker.ts";
import { jobFactsOf, podFactsOf } from "../state/job-facts.ts";
import type { PodJson } from "../kube/kube-types.ts";
import { captureLogger, loaderJob, testConfig, workerEvent } from "../testing/fixtures.ts";
import { CircuitBreaker } from "./breaker.ts";
import { DetectionStage } from "./detection-stage.ts";

const config = testConfig(); // grace 5 s, silence 6 s, no progress 10 s
const healthyStream = () => ({ consumerConnected: true, partitionsAssigned: 3, lagMessages: 0, canaryHealthy: true });

function readyPod(jobUid: string, name: string): PodJson {
  return {
    metadata: { name: `${name}-pod`, namespace: "streamforge", uid: `pod-${jobUid}`, ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid: jobUid, controller: true }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
}

/** A detection stage over a real tracker and breaker, with `jobs` running loaders whose pods are Ready at t=0. */
function world(jobs: number) {
  const tracker = new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
  const breaker = new CircuitBreaker({ maxLagMessages: config.kafka.maxLagMessages, ...config.breaker });
  const metrics = createMetrics({ defaultMetrics: false });
  const log = captureLogger();
  const handedOver: string[] = [];
  const stage = new DetectionStage({
    config, tracker, breaker, metrics, logger: log.logger, decisions: new DecisionLog(log.logger),
    recorder: { record: async () => undefined }, publisher: { publish: async () => undefined },
    isLeader: () => true, isStopping: () => false,
    remediation: { add: (uid) => handedOver.push(uid), isPending: (uid) => handedOver.includes(uid) },
  });
  const loaders = Array.from({ length: jobs }, (_, index) => {
    const job = loaderJob(`loader-${index}`);
    job.metadata.uid = `uid-${index}`;
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.upsertPod(podFactsOf(readyPod(`uid-${index}`, `loader-${index}`))!, 0);
    return job;
  });
  const heartbeat = (index: number, nowMs: number, seq: number) => tracker.ingest(workerEvent(loaders[index]!, "heartbeat", seq), nowMs);
  const gauge = async (state: string) => (await metrics.jobsTracked.get()).values.find((value) => value.labels.state === state)?.value;
  return { tracker, breaker, stage, handedOver, heartbeat, gauge, log };
}

/** Ticks until the breaker has settled and closed (at 3 s): closing re-graces every Job, grace then ends at 8 s. */
function settle(stage: DetectionStage, breaker: CircuitBreaker): void {
  stage.tick(0, healthyStream);
  stage.tick(3_000, healthyStream);
  expect(breaker.state).toBe("closed");
}

describe("DetectionStage: per-Job deadlines", () => {
  it("judges each Job when it changes or falls due, not on every tick", async () => {
    const { stage, heartbeat, gauge } = world(2_000);
    const standby = undefined; // no breaker: only judging and the gauge
    expect(stage.tick(0, standby)).toBe(2_000); // every Job is new
    expect(await gauge("grace")).toBe(2_000);
    expect(stage.tick(1_000, standby)).toBe(0);
    expect(stage.tick(4_999, standby)).toBe(0);
    expect(stage.tick(5_000, standby)).toBe(2_000); // grace ends for all
    expect(await gauge("ok")).toBe(2_000);
    // Heartbeats are not changes: they only push the silence deadline later.
    for (let index = 0; index < 2_000; index++) heartbeat(index, 5_500, 1);
    expect(stage.tick(5_600, standby)).toBe(0);
    // Due at 6,001 (silence counted from the start of grace): found fresh, rescheduled to 11,501.
    expect(stage.tick(6_001, standby)).toBe(2_000);
    expect(stage.tick(11_500, standby)).toBe(0);
    expect(stage.tick(11_501, standby)).toBe(2_000);
    expect(await gauge("stuck")).toBe(2_000);
  });

  it("a Job that goes silent is detected on the first tick after its deadline and handed to remediation", async () => {
    const { stage, heartbeat, handedOver, gauge, breaker } = world(10);
    settle(stage, breaker);
    for (let seq = 1; seq <= 20; seq++) {
      const nowMs = 3_000 + seq * 1_000;
      for (let index = 1; index < 10; index++) heartbeat(index, nowMs, seq);
      if (nowMs <= 10_000) heartbeat(0, nowMs, seq); // loader-0 falls silent after 10 s: STOP due at 16,001
      stage.tick(nowMs, healthyStream);
      expect(handedOver).toEqual(nowMs >= 17_000 ? ["uid-0"] : []);
    }
    expect(await gauge("stuck")).toBe(1);
    expect(await gauge("ok")).toBe(9);
  });

  it("a stuck Job recovers on the next tick after it speaks again", async () => {
    const { stage, heartbeat, gauge, tracker, breaker } = world(1);
    settle(stage, breaker);
    stage.tick(9_001, healthyStream);
    expect(await gauge("stuck")).toBe(1);
    expect(tracker.get("uid-0")!.episode).toMatchObject({ reason: "STOP" });
    heartbeat(0, 9_500, 1);
    stage.tick(9_600, healthyStream);
    expect(await gauge("stuck")).toBe(0);
    expect(await gauge("ok")).toBe(1);
    expect(tracker.get("uid-0")!.episode).toBeUndefined();
  });

  it("the breaker's silent fraction follows the running counts (mass silence opens it)", () => {
    const { stage, breaker } = world(10);
    settle(stage, breaker);
    stage.tick(9_000, healthyStream);
    expect(breaker.state).toBe("closed");
    stage.tick(9_001, healthyStream); // nobody ever spoke: all ten silent at once
    expect(breaker.state).toBe("open");
    expect(breaker.reasons).toContain("mass-silence");
  });

  it("a Job removed from the tracker leaves the counts", async () => {
    const { stage, tracker, gauge } = world(3);
    stage.tick(0, undefined);
    tracker.removeJob("uid-1", 100);
    stage.tick(200, undefined);
    expect(await gauge("grace")).toBe(2);
  });
});
