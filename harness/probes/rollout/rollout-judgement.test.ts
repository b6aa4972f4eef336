import { describe, expect, it } from "vitest";
import type { Pod } from "./argo-rollouts-types.ts";
import { loadSnapshot, REVISION_1_HASH, REVISION_2_HASH } from "./fixtures/snapshot-fixtures.ts";
import { judgePromotion, judgeRollback, previousRevisionHash, WRONG_CAUSE, type RolloutJudgement } from "./rollout-judgement.ts";
import type { RolloutSnapshot } from "./rollout-snapshot.ts";

const baseline = { stableHash: REVISION_1_HASH, updateAppliedAt: "2025-11-24T10:02:09.400Z" };

function failedChecks(judgement: RolloutJudgement): string[] {
  return judgement.checks.filter((check) => !check.ok).map((check) => check.name);
}

function stepRun(snapshot: RolloutSnapshot) {
  return snapshot.analysisRuns[0]!;
}

function canaryPod(): Pod {
  return {
    metadata: { name: `queue-manager-${REVISION_2_HASH}-m6wqz`, labels: { app: "queue-manager", "rollouts-pod-template-hash": REVISION_2_HASH } },
    status: { phase: "Running", podIP: "127.10.0.40" },
  };
}

describe("judgeRollback", () => {
  it("passes the recorded rollback and reports the failing measurement and the time to abort", () => {
    const judgement = judgeRollback({ snapshot: loadSnapshot("rolled-back"), baseline });
    expect(failedChecks(judgement)).toEqual([]);
    expect(judgement.verdict).toBe("passed");
    expect(judgement.failingMetric?.name).toBe("canary-error-rate");
    expect(judgement.analysisRun).toMatchObject({ phase: "Failed", foundBy: "status", podTemplateHash: REVISION_2_HASH });
    expect(judgement.timing).toEqual({
      revisionCreatedAt: "2025-11-24T10:02:10Z",
      abortedAt: "2025-11-24T10:02:31Z",
      revisionToOutcomeMs: 21_000,
      updateToOutcomeMs: 21_600,
    });
    expect(judgement.reason).toMatch(/^rolled back: queue-manager-6f4d8b7c9-2-1 failed on canary-error-rate: 1 Failed measurement/);
    expect(judgement.checks.map((check) => check.name)).toEqual([
      "revision N+1 exists",
      "controller observed the latest spec",
      "status.abort",
      "phase",
      "Progressing condition",
      "step AnalysisRun of the canary",
      "AnalysisRun phase",
      "failing metric was measured",
      "stable ReplicaSet unchanged",
      "canary ReplicaSet scaled to 0, no canary pods running",
      "Service queue-manager routes to stable pods only",
      "Service queue-manager-stable routes to stable pods only",
      "Service queue-manager-canary routes to stable pods only",
      "time to abort measured",
    ]);
  });

  it("fails with the wrong cause when the AnalysisRun ended Error (a broken metrics endpoint also aborts)", () => {
    const snapshot = loadSnapshot("rolled-back");
    const message = 'Metric "canary-error-rate" assessed Error due to consecutiveErrors (3) > consecutiveErrorLimit (2): "Error Message: received non 2xx response code: 502"';
    Object.assign(stepRun(snapshot).status!, {
      phase: "Error",
      message,
      metricResults: [
        {
          name: "canary-error-rate",
          phase: "Error",
          error: 3,
          consecutiveError: 3,
          message: "received non 2xx response code: 502",
          measurements: [1, 2, 3].map(() => ({ phase: "Error", message: "received non 2xx response code: 502", finishedAt: "2025-11-24T10:02:29Z" })),
        },
      ],
    });
    snapshot.rollout.status!.canary!.currentStepAnalysisRunStatus = { name: stepRun(snapshot).metadata.name, status: "Error", message };
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toBe(`${WRONG_CAUSE}: AnalysisRun queue-manager-6f4d8b7c9-2-1 ended Error, not Failed: ${message}`);
    expect(failedChecks(judgement)).toEqual(["AnalysisRun phase", "failing metric was measured"]);
  });

  it("fails with the wrong cause when the AnalysisRun ended Inconclusive (no data), which pauses instead of aborting", () => {
    const snapshot = loadSnapshot("rolled-back");
    const noData = JSON.stringify({ podTemplateHash: REVISION_2_HASH, pods: 1, requests: 0, errors: 0, errorRate: null, versions: ["v2-bad"], perPod: [] });
    Object.assign(stepRun(snapshot).status!, {
      phase: "Inconclusive",
      message: 'Metric "canary-error-rate" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
      metricResults: [
        { name: "canary-error-rate", phase: "Inconclusive", count: 1, inconclusive: 1, measurements: [{ phase: "Inconclusive", finishedAt: "2025-11-24T10:02:29Z", value: noData }] },
      ],
    });
    const status = snapshot.rollout.status!;
    Object.assign(status, { abort: false, abortedAt: undefined, phase: "Paused", message: "InconclusiveAnalysisRun", pauseConditions: [{ reason: "InconclusiveAnalysisRun" }], controllerPause: true });
    status.conditions = status.conditions!.map((condition) =>
      condition.type === "Progressing" ? { ...condition, status: "Unknown", reason: "RolloutPaused", message: "Rollout is paused" } : condition,
    );
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toMatch(new RegExp(`^${WRONG_CAUSE}: AnalysisRun \\S+ ended Inconclusive, not Failed`));
    expect(failedChecks(judgement)).toContain("status.abort");
  });

  it("fails with the wrong cause when the failing metric recorded no measurement", () => {
    const snapshot = loadSnapshot("rolled-back");
    stepRun(snapshot).status!.metricResults![0]!.measurements = [];
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toBe(`${WRONG_CAUSE}: AnalysisRun queue-manager-6f4d8b7c9-2-1 is Failed but metric canary-error-rate recorded no Failed measurement with a value`);
  });

  it("fails with the wrong cause when the Rollout was aborted by hand while the analysis still ran", () => {
    const snapshot = loadSnapshot("rolled-back");
    Object.assign(stepRun(snapshot).status!, { phase: "Running", message: "", metricResults: [{ name: "canary-error-rate", phase: "Running", measurements: [] }] });
    snapshot.rollout.status!.canary!.currentStepAnalysisRunStatus = { name: stepRun(snapshot).metadata.name, status: "Running" };
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.reason).toMatch(new RegExp(`^${WRONG_CAUSE}: the Rollout aborted while AnalysisRun \\S+ was Running`));
  });

  it("fails with the wrong cause when there is no AnalysisRun of the canary at all", () => {
    const snapshot = loadSnapshot("rolled-back");
    snapshot.analysisRuns = [];
    expect(judgeRollback({ snapshot, baseline }).reason).toMatch(new RegExp(`^${WRONG_CAUSE}: the Rollout aborted but no step AnalysisRun of ${REVISION_2_HASH} exists`));
  });

  it("does not trust status.phase before the controller observed the new generation", () => {
    const snapshot = loadSnapshot("rolled-back");
    snapshot.rollout.metadata.generation = 3;
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.rollout.phase).toBe("Progressing");
    expect(failedChecks(judgement)).toEqual(["controller observed the latest spec", "phase"]);
  });

  it("fails when the bad version became stable instead", () => {
    const snapshot = loadSnapshot("promoted");
    const judgement = judgeRollback({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toMatch(/^not rolled back: status.abort: expected true, found false/);
    expect(failedChecks(judgement)).toContain("stable ReplicaSet unchanged");
  });

  it("fails while the canary ReplicaSet still has pods", () => {
    const snapshot = loadSnapshot("rolled-back");
    const canaryReplicaSet = snapshot.replicaSets.find((replicaSet) => replicaSet.metadata.name.endsWith(REVISION_2_HASH))!;
    canaryReplicaSet.spec!.replicas = 0;
    canaryReplicaSet.status!.replicas = 1;
    snapshot.pods.push(canaryPod());
    const judgement = judgeRollback({ snapshot, baseline });
    expect(failedChecks(judgement)).toEqual(["canary ReplicaSet scaled to 0, no canary pods running"]);
    expect(judgement.checks.find((check) => !check.ok)?.found).toBe(`spec.replicas 0, status.replicas 1, live pods 1 (queue-manager-${REVISION_2_HASH}-m6wqz)`);
  });

  it("fails while a Service still routes to a canary pod, or routes to nothing", () => {
    const snapshot = loadSnapshot("rolled-back");
    snapshot.pods.push(canaryPod());
    snapshot.endpointSlices["queue-manager"]![0]!.endpoints!.push({
      addresses: ["127.10.0.40"],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", name: `queue-manager-${REVISION_2_HASH}-m6wqz` },
    });
    snapshot.endpointSlices["queue-manager-canary"] = [];
    const judgement = judgeRollback({ snapshot, baseline });
    expect(failedChecks(judgement)).toEqual([
      "canary ReplicaSet scaled to 0, no canary pods running",
      "Service queue-manager routes to stable pods only",
      "Service queue-manager-canary routes to stable pods only",
    ]);
    expect(judgement.checks.find((check) => check.name === "Service queue-manager routes to stable pods only")?.found).toBe(
      `10 × ${REVISION_1_HASH}, 1 × ${REVISION_2_HASH}`,
    );
  });

  it("fails when no revision N+1 was ever created (nothing to roll back)", () => {
    const judgement = judgeRollback({ snapshot: loadSnapshot("promoted"), baseline: { stableHash: REVISION_2_HASH } });
    expect(failedChecks(judgement)).toContain("revision N+1 exists");
  });
});

describe("judgePromotion (the control experiment)", () => {
  it("passes the recorded promotion", () => {
    const judgement = judgePromotion({ snapshot: loadSnapshot("promoted"), baseline });
    expect(failedChecks(judgement)).toEqual([]);
    expect(judgement.verdict).toBe("passed");
    expect(judgement.analysisRun).toMatchObject({ phase: "Successful", foundBy: "labels" });
    expect(judgement.timing).toMatchObject({ revisionCreatedAt: "2025-11-24T11:02:10Z", promotedAt: "2025-11-24T11:03:24Z", revisionToOutcomeMs: 74_000 });
    expect(judgement.reason).toMatch(/^promoted: queue-manager-6f4d8b7c9-2-1 passed on canary-error-rate: 3 Successful measurement\(s\)/);
  });

  it("fails a Successful AnalysisRun that never measured (terminated before its first measurement)", () => {
    const snapshot = loadSnapshot("promoted");
    Object.assign(stepRun(snapshot).status!.metricResults![0]!, { measurements: [], count: 0, successful: 0 });
    stepRun(snapshot).spec!.terminate = true;
    const judgement = judgePromotion({ snapshot, baseline });
    expect(judgement.verdict).toBe("failed");
    expect(failedChecks(judgement)).toEqual(["every metric was measured"]);
  });

  it("fails the rolled-back snapshot: an analysis that always fails cannot pass the control", () => {
    const judgement = judgePromotion({ snapshot: loadSnapshot("rolled-back"), baseline });
    expect(judgement.verdict).toBe("failed");
    expect(judgement.reason).toMatch(/^not promoted: status.abort: expected false, found true/);
    expect(failedChecks(judgement)).toEqual(
      expect.arrayContaining(["phase", "revision N+1 is the new stable", "AnalysisRun phase", "every metric was measured", "revision N+1 fully available"]),
    );
  });

  it("fails while old pods are still running or steps remain", () => {
    const snapshot = loadSnapshot("promoted");
    snapshot.rollout.status!.currentStepIndex = 4;
    snapshot.pods.push({ metadata: { name: `queue-manager-${REVISION_1_HASH}-old01`, labels: { "rollouts-pod-template-hash": REVISION_1_HASH } }, status: { phase: "Running" } });
    expect(failedChecks(judgePromotion({ snapshot, baseline }))).toEqual(["all steps ran", "previous stable ReplicaSet scaled to 0, no old pods running"]);
  });
});

describe("previousRevisionHash", () => {
  it("reads revision N's hash from ReplicaSet revision history", () => {
    expect(previousRevisionHash(loadSnapshot("rolled-back"))).toBe(REVISION_1_HASH);
    expect(previousRevisionHash(loadSnapshot("promoted"))).toBe(REVISION_1_HASH);
  });

  it("is undefined on the first revision", () => {
    const snapshot = loadSnapshot("promoted");
    snapshot.replicaSets = snapshot.replicaSets.filter((replicaSet) => replicaSet.metadata.name.endsWith(REVISION_2_HASH));
    expect(previousRevisionHash(snapshot)).toBeUndefined();
  });
});
