/**
 * The Rollout's phase as Argo's own clients compute it (utils/rollout/rolloututil.go, v1.9.1):
 * `GetRolloutPhase` trusts `status.phase` only once `status.observedGeneration` equals
 * `metadata.generation`. Reading raw `status.phase` right after a spec change sees the previous
 * revision's verdict (e.g. "Healthy" for a bad canary the controller has not looked at yet).
 */
import type { Rollout, RolloutPhase } from "./argo-rollouts-types.ts";
import { ROLLOUT_ABORTED_REASON, TIMED_OUT_REASON } from "./argo-rollouts-types.ts";

export interface PhaseAndMessage {
  phase: RolloutPhase;
  message: string;
}

/** isGenerationObserved: a non-numeric observedGeneration (v0.9 hashes) counts as observed. */
export function isGenerationObserved(rollout: Rollout): boolean {
  const observed = rollout.status?.observedGeneration;
  if (observed === undefined || !/^\d+$/.test(observed)) return true;
  const generation = rollout.metadata.generation ?? 0;
  const observedGeneration = Number(observed);
  // A v0.9 hash can be all digits; Argo treats a "generation" from the future as observed.
  return observedGeneration > generation || observedGeneration === generation;
}

/** The user cleared the controller's pause conditions and the controller has not reacted yet. */
export function isUnpausing(rollout: Rollout): boolean {
  return rollout.status?.controllerPause === true && (rollout.status.pauseConditions ?? []).length === 0;
}

/** strconv.ParseInt(s, 10, 32): undefined when Go would return an error (not a number, or overflow). */
function parseInt32(text: string | undefined): number | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= -(2 ** 31) && value <= 2 ** 31 - 1 ? value : undefined;
}

function isWorkloadGenerationObserved(rollout: Rollout): boolean {
  const annotated = parseInt32(rollout.metadata.annotations?.["rollout.argoproj.io/workload-generation"]);
  if (annotated === undefined) return true;
  const observed = parseInt32(rollout.status?.workloadObservedGeneration);
  if (observed === undefined) return true;
  return observed === annotated;
}

export function getRolloutPhase(rollout: Rollout): PhaseAndMessage {
  if (!isGenerationObserved(rollout)) {
    return { phase: "Progressing", message: "waiting for rollout spec update to be observed" };
  }
  if (isUnpausing(rollout)) return { phase: "Progressing", message: "waiting for rollout to unpause" };
  if (rollout.spec.templateResolvedFromRef && !isWorkloadGenerationObserved(rollout)) {
    return { phase: "Progressing", message: "waiting for rollout spec update to be observed for the reference workload" };
  }
  if (rollout.status?.phase) return { phase: rollout.status.phase, message: rollout.status.message ?? "" };
  return calculateRolloutPhase(rollout);
}

/** CalculateRolloutPhase: the controller-side computation, for statuses written before v1.0. */
export function calculateRolloutPhase(rollout: Rollout): PhaseAndMessage {
  const { spec } = rollout;
  const status = rollout.status ?? {};
  for (const condition of status.conditions ?? []) {
    if (condition.type === "InvalidSpec") return { phase: "Degraded", message: `InvalidSpec: ${condition.message}` };
    if (condition.reason === ROLLOUT_ABORTED_REASON || condition.reason === TIMED_OUT_REASON) {
      return { phase: "Degraded", message: `${condition.reason}: ${condition.message}` };
    }
  }
  if (spec.paused) return { phase: "Paused", message: "manually paused" };
  const pauseCondition = status.pauseConditions?.[0];
  if (pauseCondition) return { phase: "Paused", message: pauseCondition.reason };
  if (spec.restartAt && (!status.restartedAt || Date.parse(spec.restartAt) !== Date.parse(status.restartedAt))) {
    return { phase: "Progressing", message: "rollout is restarting" };
  }
  const desiredReplicas = spec.replicas ?? 1;
  const updatedReplicas = status.updatedReplicas ?? 0;
  if (updatedReplicas < desiredReplicas) return { phase: "Progressing", message: "more replicas need to be updated" };
  if ((status.availableReplicas ?? 0) < updatedReplicas) {
    return { phase: "Progressing", message: "updated replicas are still becoming available" };
  }
  const fullyPromoted = (status.stableRS ?? "") === (status.currentPodHash ?? "");
  if (spec.strategy.blueGreen) {
    const activeSelector = status.blueGreen?.activeSelector ?? "";
    if (activeSelector === "" || activeSelector !== status.currentPodHash) {
      return { phase: "Progressing", message: "active service cutover pending" };
    }
    if (!status.stableRS || !fullyPromoted) {
      const postPromotion = status.blueGreen?.postPromotionAnalysisRunStatus;
      const completed = ["Successful", "Failed", "Error", "Inconclusive"].includes(postPromotion?.status ?? "");
      if (spec.strategy.blueGreen.postPromotionAnalysis && !completed) {
        return { phase: "Progressing", message: "waiting for analysis to complete" };
      }
      return { phase: "Progressing", message: "waiting for post-promotion verification to complete" };
    }
  } else if (spec.strategy.canary) {
    if (!spec.strategy.canary.trafficRouting && (status.replicas ?? 0) > updatedReplicas) {
      return { phase: "Progressing", message: "old replicas are pending termination" };
    }
    if (!status.stableRS || !fullyPromoted) return { phase: "Progressing", message: "waiting for all steps to complete" };
  }
  return { phase: "Healthy", message: "" };
}
