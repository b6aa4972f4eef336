import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import { HEALER_ANNOTATIONS, jobFactsOf, podFactsOf } from "./job-facts.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import { JobTracker } from "./tracker.ts";
import { loaderJob, testConfig, workerEvent } from "../testing/fixtures.ts";

const config = testConfig();

function tracked(name: string, uid: string, options: Parameters<typeof loaderJob>[1] = {}): JobJson {
  const job = loaderJob(name, options);
  job.metadata.uid = uid;
  job.metadata.resourceVersion = "1";
  return job;
}

function podOf(job: JobJson, podUid: string, changes: { ready?: boolean; deleting?: boolean; phase?: string; disruption?: boolean } = {}): PodJson {
  return {
    metadata: {
      name: `${job.metadata.name}-${podUid}`,
      namespace: job.metadata.namespace,
      uid: podUid,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name ?? "", uid: job.metadata.uid ?? "", controller: true }],
      ...(changes.deleting ? { deletionTimestamp: "2025-01-01T00:00:05Z" } : {}),
    },
    status: {
      phase: changes.phase ?? "Running",
      conditions: [
        { type: "Ready", status: changes.ready === false ? "False" : "True" },
        ...(changes.disruption ? [{ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI" }] : []),
      ],
    },
  };
}

function newTracker() {
  return new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
}

describe("JobTracker", () => {
  it("tracks by UID and starts grace when a pod becomes Ready", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 1_000);
    expect(tracker.get("uid-1")).toMatchObject({ taskId: "loader-1", attempt: 0, lifecycle: "active", hasReadyPod: false, graceStartMs: 1_000 });
    tracker.upsertPod(podFactsOf(podOf(job, "p1"))!, 4_000);
    expect(tracker.get("uid-1")).toMatchObject({ hasReadyPod: true, graceStartMs: 4_000 });
    // An unchanged Ready pod (relist, status update) does not restart grace.
    tracker.upsertPod(podFactsOf(podOf(job, "p1"))!, 9_000);
    expect(tracker.get("uid-1")?.graceStartMs).toBe(4_000);
  });

  it("measures liveness on receipt time, updates progress, and latches FAULT and REWIND", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    expect(tracker.ingest(workerEvent(job, "started", 0, { progress: 0 }), 100)).toMatchObject({ kind: "live" });
    tracker.ingest(workerEvent(job, "progress", 1, { progress: 50, ts: 1 }), 200);
    expect(tracker.get("uid-1")).toMatchObject({ lastEventMs: 200, lastProgress: 50, progressChangedMs: 200, lastSeq: 1 });
    tracker.ingest(workerEvent(job, "heartbeat", 2, { progress: 50 }), 300);
    expect(tracker.get("uid-1")).toMatchObject({ lastEventMs: 300, progressChangedMs: 200 });
    expect(tracker.ingest(workerEvent(job, "error", 3, { severity: "critical", message: "boom" }), 400)).toMatchObject({ becameFaulty: "FAULT" });
    expect(tracker.ingest(workerEvent(job, "heartbeat", 1), 500)).toMatchObject({ kind: "live", becameFaulty: "REWIND" });
    expect(tracker.get("uid-1")).toMatchObject({ fault: { seq: 3, message: "boom" }, rewind: { fromSeq: 3, toSeq: 1 } });
  });

  it("a non-critical error is not a fault", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    expect(tracker.ingest(workerEvent(job, "error", 0, { severity: "error" }), 1)).toEqual(expect.objectContaining({ becameFaulty: undefined }));
  });

  it("a duplicate seq (producer retry) is not liveness and not a rewind", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.ingest(workerEvent(job, "heartbeat", 4), 100);
    expect(tracker.ingest(workerEvent(job, "heartbeat", 4), 900)).toEqual({ kind: "duplicate" });
    expect(tracker.get("uid-1")?.lastEventMs).toBe(100);
    expect(tracker.get("uid-1")?.rewind).toBeUndefined();
  });

  it("a restarted process (started, seq from 0) is not a rewind", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.ingest(workerEvent(job, "heartbeat", 40, { progress: 900 }), 100);
    expect(tracker.ingest(workerEvent(job, "started", 0, { progress: 0 }), 200)).toMatchObject({ kind: "live", becameFaulty: undefined });
    tracker.ingest(workerEvent(job, "heartbeat", 1, { progress: 10 }), 300);
    expect(tracker.get("uid-1")).toMatchObject({ lastProgress: 10, lastSeq: 1 });
    expect(tracker.get("uid-1")?.rewind).toBeUndefined();
  });

  it("idle suspends STALL until progress advances again", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.ingest(workerEvent(job, "progress", 0, { progress: 10 }), 100);
    tracker.ingest(workerEvent(job, "idle", 1, { progress: 10 }), 200);
    expect(tracker.get("uid-1")?.idle).toBe(true);
    tracker.ingest(workerEvent(job, "heartbeat", 2, { progress: 10 }), 300);
    expect(tracker.get("uid-1")?.idle).toBe(true);
    tracker.ingest(workerEvent(job, "progress", 3, { progress: 11 }), 400);
    expect(tracker.get("uid-1")?.idle).toBe(false);
  });

  it("an unknown Job's events are reported as unknown-job", () => {
    const tracker = newTracker();
    expect(tracker.ingest(workerEvent(tracked("ghost", "uid-x"), "heartbeat", 0), 1)).toEqual({ kind: "unknown-job" });
  });

  describe("zombie workers", () => {
    it("events of a replaced (deleted) attempt are zombies and never liveness of the new attempt", () => {
      const tracker = newTracker();
      const old = tracked("loader-1", "uid-old");
      tracker.upsertJob(jobFactsOf(old), 0);
      const replacement = tracked("loader-1-r1", "uid-new", { taskId: "loader-1", attempt: 1, annotations: { [ANNOTATIONS.replacesUid]: "uid-old" } });
      tracker.upsertJob(jobFactsOf(replacement), 10);
      tracker.removeJob("uid-old", 20);
      const outcome = tracker.ingest(workerEvent(old, "heartbeat", 99), 30);
      expect(outcome).toMatchObject({ kind: "zombie", taskId: "loader-1", currentJob: { uid: "uid-new" } });
      expect(tracker.get("uid-new")?.lastEventMs).toBeUndefined();
    });

    it("events of an attempt whose replacement already exists are zombies before the old Job is even gone", () => {
      const tracker = newTracker();
      const old = tracked("loader-1", "uid-old");
      tracker.upsertJob(jobFactsOf(old), 0);
      tracker.upsertJob(
        jobFactsOf(tracked("loader-1-r1", "uid-new", { taskId: "loader-1", attempt: 1, suspend: true, annotations: { [ANNOTATIONS.replacesUid]: "uid-old", [HEALER_ANNOTATIONS.replacementPending]: "true" } })),
        10,
      );
      expect(tracker.ingest(workerEvent(old, "heartbeat", 1), 20)).toMatchObject({ kind: "zombie" });
    });

    it("an older attempt number for a tracked task is a zombie even when its UID was never seen", () => {
      const tracker = newTracker();
      tracker.upsertJob(jobFactsOf(tracked("loader-1-r2", "uid-r2", { taskId: "loader-1", attempt: 2 })), 0);
      const stranger = tracked("loader-1-r1", "uid-r1", { taskId: "loader-1", attempt: 1 });
      expect(tracker.ingest(workerEvent(stranger, "heartbeat", 5), 10)).toMatchObject({ kind: "zombie", currentJob: { uid: "uid-r2" } });
    });

    it("events of a Job being deleted are zombies", () => {
      const tracker = newTracker();
      const job = tracked("loader-1", "uid-1");
      job.metadata.deletionTimestamp = "2025-01-01T00:00:00Z";
      tracker.upsertJob(jobFactsOf(job), 0);
      expect(tracker.ingest(workerEvent(job, "heartbeat", 5), 10)).toMatchObject({ kind: "zombie" });
    });
  });

  describe("lifecycle from the Job and its pods", () => {
    it("a Job failed by the loader's fatal exit code (PodFailurePolicy) is terminal", () => {
      const tracker = newTracker();
      const job = tracked("loader-1", "uid-1");
      job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "PodFailurePolicy" }] };
      tracker.upsertJob(jobFactsOf(job), 0);
      tracker.upsertPod(podFactsOf(podOf(job, "p1", { phase: "Failed", ready: false }))!, 0);
      tracker.markPodsSynced();
      expect(tracker.get("uid-1")?.lifecycle).toBe("failed-fatal");
    });

    it("a pod with DisruptionTarget makes a failed Job disrupted", () => {
      const tracker = newTracker();
      const job = tracked("loader-1", "uid-1");
      tracker.upsertJob(jobFactsOf(job), 0);
      tracker.upsertPod(podFactsOf(podOf(job, "p1", { disruption: true, phase: "Failed", ready: false }))!, 1);
      job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
      job.metadata.resourceVersion = "2";
      tracker.upsertJob(jobFactsOf(job), 2);
      expect(tracker.get("uid-1")?.lifecycle).toBe("failed-disrupted");
    });

    it("BackoffLimitExceeded after an observed pod deletion is disrupted; without one it is the loader's own failure", () => {
      const tracker = newTracker();
      const deleted = tracked("loader-1", "uid-1");
      const crashed = tracked("loader-2", "uid-2");
      tracker.upsertJob(jobFactsOf(deleted), 0);
      tracker.upsertJob(jobFactsOf(crashed), 0);
      tracker.upsertPod(podFactsOf(podOf(deleted, "p1"))!, 1);
      tracker.upsertPod(podFactsOf(podOf(crashed, "p2"))!, 1);
      tracker.markPodsSynced();
      tracker.upsertPod(podFactsOf(podOf(deleted, "p1", { deleting: true }))!, 2);
      tracker.upsertPod(podFactsOf(podOf(crashed, "p2", { phase: "Failed", ready: false }))!, 2);
      for (const job of [deleted, crashed]) {
        job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
        tracker.upsertJob(jobFactsOf(job), 3);
      }
      expect(tracker.get("uid-1")?.lifecycle).toBe("failed-disrupted");
      expect(tracker.get("uid-2")?.lifecycle).toBe("failed-other");
    });

    it("after a healer restart, a failed count its remaining pods cannot explain is evidence of a deletion", () => {
      const tracker = newTracker();
      const job = tracked("loader-1", "uid-1");
      job.status = { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
      tracker.upsertJob(jobFactsOf(job), 0);
      // Before the pod informer listed, nothing is inferred (absence of pods proves nothing yet).
      expect(tracker.get("uid-1")?.lifecycle).toBe("failed-other");
      tracker.markPodsSynced();
      expect(tracker.get("uid-1")?.lifecycle).toBe("failed-disrupted");
    });

    it("suspended, complete, gave-up and pending replacements are recognised", () => {
      const tracker = newTracker();
      tracker.upsertJob(jobFactsOf(tracked("a", "u-a", { suspend: true })), 0);
      const complete = tracked("b", "u-b");
      complete.status = { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] };
      tracker.upsertJob(jobFactsOf(complete), 0);
      tracker.upsertJob(jobFactsOf(tracked("c", "u-c", { annotations: { [ANNOTATIONS.gaveUp]: "2025-01-01T00:00:00Z" } })), 0);
      tracker.upsertJob(jobFactsOf(tracked("d", "u-d", { suspend: true, annotations: { [HEALER_ANNOTATIONS.replacementPending]: "true" } })), 0);
      expect(["u-a", "u-b", "u-c", "u-d"].map((uid) => tracker.get(uid)?.lifecycle)).toEqual(["suspended", "complete", "gave-up", "pending-replacement"]);
    });

    it("an activated replacement gets a fresh grace period", () => {
      const tracker = newTracker();
      const job = tracked("loader-1-r1", "uid-new", { suspend: true, annotations: { [HEALER_ANNOTATIONS.replacementPending]: "true" } });
      tracker.upsertJob(jobFactsOf(job), 0);
      job.spec!.suspend = false;
      delete job.metadata.annotations![HEALER_ANNOTATIONS.replacementPending];
      tracker.upsertJob(jobFactsOf(job), 7_000);
      expect(tracker.get("uid-new")).toMatchObject({ lifecycle: "active", graceStartMs: 7_000 });
    });
  });

  it("reports override rejections once, when they first appear", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1", { annotations: { [ANNOTATIONS.silenceThreshold]: "1s" } });
    expect(tracker.upsertJob(jobFactsOf(job), 0)?.newRejections).toHaveLength(1);
    job.metadata.resourceVersion = "2";
    expect(tracker.upsertJob(jobFactsOf(job), 1)?.newRejections).toHaveLength(0);
  });

  it("resetEventState forgets what the stream said and re-graces everyone", () => {
    const tracker = newTracker();
    const job = tracked("loader-1", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.ingest(workerEvent(job, "error", 9, { severity: "critical" }), 10);
    tracker.resetEventState(500);
    expect(tracker.get("uid-1")).toMatchObject({ fault: undefined, lastSeq: undefined, lastEventMs: undefined, graceStartMs: 500 });
  });
});

describe("JobTracker.takeChanged (what detection must judge at once)", () => {
  it("reports informer changes and events that can bring a deadline nearer, not heartbeats", () => {
    const tracker = newTracker();
    const job = tracked("loader-a", "uid-1");
    tracker.upsertJob(jobFactsOf(job), 0);
    tracker.upsertPod(podFactsOf(podOf(job, "p1"))!, 0);
    expect(tracker.takeChanged()).toEqual(["uid-1"]);
    expect(tracker.takeChanged()).toEqual([]);

    tracker.ingest(workerEvent(job, "heartbeat", 1), 1_000);
    tracker.ingest(workerEvent(job, "heartbeat", 2), 2_000);
    expect(tracker.takeChanged()).toEqual([]); // a heartbeat only moves the silence deadline later

    tracker.ingest(workerEvent(job, "progress", 3, { progress: 10 }), 3_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]); // the stall check starts
    tracker.ingest(workerEvent(job, "progress", 4, { progress: 20 }), 4_000);
    expect(tracker.takeChanged()).toEqual([]); // progress moves the stall deadline later
    tracker.ingest(workerEvent(job, "idle", 5, { progress: 20 }), 5_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]);
    tracker.ingest(workerEvent(job, "progress", 6, { progress: 30 }), 6_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]); // idle ended: the stall check is back
    tracker.ingest(workerEvent(job, "error", 7, { severity: "critical" }), 7_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]);

    tracker.resetGrace(8_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]);
    tracker.removeJob("uid-1", 9_000);
    expect(tracker.takeChanged()).toEqual(["uid-1"]);
  });
});
