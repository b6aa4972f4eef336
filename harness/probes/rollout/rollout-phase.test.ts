/**
 * Ported from Argo Rollouts v1.9.1 utils/rollout/rolloututil_test.go, so this TypeScript reading of the
 * phase agrees with the one `kubectl argo rollouts` and the controller use.
 */
import { describe, expect, it } from "vitest";
import type { Rollout } from "./argo-rollouts-types.ts";
import { getRolloutPhase, isGenerationObserved } from "./rollout-phase.ts";

function canaryRollout(): Rollout {
  return {
    metadata: { name: "can-guestbook", namespace: "test" },
    spec: {
      replicas: 5,
      strategy: { canary: { steps: [{ setWeight: 10 }, { pause: { duration: 60 } }, { setWeight: 20 }] } },
    },
    status: { currentStepIndex: 1, replicas: 4, readyReplicas: 1, updatedReplicas: 3, availableReplicas: 2 },
  };
}

function blueGreenRollout(): Rollout {
  return {
    metadata: { name: "bg-guestbook", namespace: "test" },
    spec: { replicas: 5, strategy: { blueGreen: {} } },
    status: { currentStepIndex: 1, replicas: 4, readyReplicas: 1, updatedReplicas: 3, availableReplicas: 2 },
  };
}

function withStatus(rollout: Rollout, status: NonNullable<Rollout["status"]>): Rollout {
  return { ...rollout, status: { ...rollout.status, ...status } };
}

const fullyAvailable = { replicas: 5, updatedReplicas: 5, availableReplicas: 5, readyReplicas: 5 };
const oneMinuteAgo = new Date(Date.now() - 60_000).toISOString();

describe("getRolloutPhase (Argo's GetRolloutPhase)", () => {
  it("Degraded on ProgressDeadlineExceeded and on RolloutAborted", () => {
    const timedOut = withStatus(canaryRollout(), {
      conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "timed out" }],
    });
    expect(getRolloutPhase(timedOut)).toEqual({ phase: "Degraded", message: "ProgressDeadlineExceeded: timed out" });
    const aborted = withStatus(canaryRollout(), {
      conditions: [{ type: "Progressing", status: "False", reason: "RolloutAborted", message: "Rollout aborted update to revision 2" }],
    });
    expect(getRolloutPhase(aborted)).toEqual({ phase: "Degraded", message: "RolloutAborted: Rollout aborted update to revision 2" });
  });

  it("Paused when spec.paused", () => {
    const rollout = canaryRollout();
    rollout.spec.paused = true;
    expect(getRolloutPhase(rollout)).toEqual({ phase: "Paused", message: "manually paused" });
  });

  it.each([
    [{ updatedReplicas: 4, availableReplicas: 4, replicas: 5 }, "more replicas need to be updated"],
    [{ updatedReplicas: 5, availableReplicas: 4, replicas: 5 }, "updated replicas are still becoming available"],
    [{ updatedReplicas: 5, availableReplicas: 5, replicas: 7 }, "old replicas are pending termination"],
  ])("Progressing for a canary with %j", (status, message) => {
    expect(getRolloutPhase(withStatus(canaryRollout(), status))).toEqual({ phase: "Progressing", message });
  });

  it("Progressing for blue-green cutover and post-promotion", () => {
    const cutover = withStatus(blueGreenRollout(), {
      ...fullyAvailable,
      blueGreen: { activeSelector: "abc1234" },
      stableRS: "abc1234",
      currentPodHash: "def5678",
    });
    expect(getRolloutPhase(cutover).message).toBe("active service cutover pending");
    const verifying = withStatus(blueGreenRollout(), {
      ...fullyAvailable,
      blueGreen: { activeSelector: "def5678" },
      stableRS: "abc1234",
      currentPodHash: "def5678",
    });
    expect(getRolloutPhase(verifying).message).toBe("waiting for post-promotion verification to complete");
    verifying.spec.strategy.blueGreen = { postPromotionAnalysis: {} };
    expect(getRolloutPhase(verifying).message).toBe("waiting for analysis to complete");
  });

  it("does not trust status until observedGeneration == generation", () => {
    const rollout = canaryRollout();
    rollout.metadata.generation = 2;
    delete rollout.spec.replicas;
    rollout.status = { stableRS: "abc1234", currentPodHash: "abc1234", observedGeneration: "1", phase: "Healthy" };
    expect(getRolloutPhase(rollout)).toEqual({ phase: "Progressing", message: "waiting for rollout spec update to be observed" });
  });

  it("treats a v0.9 hash in observedGeneration as observed, even an all-digit one", () => {
    for (const observedGeneration of ["7d66d4485f", "1366344857"]) {
      const rollout = canaryRollout();
      rollout.metadata.generation = 2;
      delete rollout.spec.replicas;
      rollout.status = { stableRS: "abc1234", currentPodHash: "abc1234", observedGeneration };
      expect(getRolloutPhase(rollout)).toEqual({ phase: "Progressing", message: "more replicas need to be updated" });
    }
  });

  it("Progressing while a restart is not finished, Healthy once it is", () => {
    const restarting = withStatus(canaryRollout(), { ...fullyAvailable, stableRS: "abc1234", currentPodHash: "abc1234" });
    restarting.spec.restartAt = oneMinuteAgo;
    expect(getRolloutPhase(restarting)).toEqual({ phase: "Progressing", message: "rollout is restarting" });
    restarting.status!.restartedAt = oneMinuteAgo;
    expect(getRolloutPhase(restarting)).toEqual({ phase: "Healthy", message: "" });
  });

  it("waits for the reference workload's generation", () => {
    const rollout = canaryRollout();
    rollout.spec.templateResolvedFromRef = true;
    rollout.metadata.annotations = { "rollout.argoproj.io/workload-generation": "2" };
    rollout.status = { workloadObservedGeneration: "1" };
    expect(getRolloutPhase(rollout).message).toBe("waiting for rollout spec update to be observed for the reference workload");
    rollout.status = { workloadObservedGeneration: "222222222222222222" };
    expect(getRolloutPhase(rollout).message).not.toContain("reference workload");
  });

  it("Healthy for fully promoted canary and blue-green rollouts", () => {
    expect(getRolloutPhase(withStatus(canaryRollout(), { ...fullyAvailable, stableRS: "abc1234", currentPodHash: "abc1234" }))).toEqual({
      phase: "Healthy",
      message: "",
    });
    expect(
      getRolloutPhase(
        withStatus(blueGreenRollout(), { ...fullyAvailable, blueGreen: { activeSelector: "abc1234" }, stableRS: "abc1234", currentPodHash: "abc1234" }),
      ),
    ).toEqual({ phase: "Healthy", message: "" });
  });

  it("uses the controller's status.phase once observed, except while unpausing", () => {
    const rollout = withStatus(canaryRollout(), {
      phase: "Paused",
      message: "canary pause",
      pauseConditions: [{ reason: "CanaryPauseStep" }],
      controllerPause: true,
    });
    expect(getRolloutPhase(rollout)).toEqual({ phase: "Paused", message: "canary pause" });
    rollout.status!.pauseConditions = [];
    expect(getRolloutPhase(rollout)).toEqual({ phase: "Progressing", message: "waiting for rollout to unpause" });
  });
});

describe("isGenerationObserved", () => {
  it.each([
    ["invalid", 0, true],
    ["10", 9, true],
    ["10", 10, true],
    ["10", 11, false],
  ])("observedGeneration %s, generation %d -> %s", (observedGeneration, generation, expected) => {
    expect(isGenerationObserved({ metadata: { name: "r", generation }, spec: { strategy: {} }, status: { observedGeneration } })).toBe(expected);
  });
});
