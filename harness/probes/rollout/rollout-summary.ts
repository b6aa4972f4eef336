/**
 * What a Rollout says about itself, flattened for assertions and reports: the phase as Argo's clients
 * compute it, abort state, hashes, the current step, and the step AnalysisRun it references.
 */
import type { CanaryStep, Rollout, RolloutAnalysisRunStatus, RolloutCondition, RolloutPhase } from "./argo-rollouts-types.ts";
import { REVISION_ANNOTATION } from "./argo-rollouts-types.ts";
import { getRolloutPhase, isGenerationObserved } from "./rollout-phase.ts";

export interface RolloutSummary {
  name: string;
  namespace: string;
  generation: number;
  observedGeneration: string;
  generationObserved: boolean;
  phase: RolloutPhase;
  message: string;
  abort: boolean;
  abortedAt?: string;
  /** The `Progressing` condition; `RolloutAborted` when the controller aborted the update. */
  progressing?: RolloutCondition;
  /** `status.stableRS`: pod-template hash of the stable ReplicaSet. */
  stableHash: string;
  /** `status.currentPodHash`: hash of the desired (canary, while updating) ReplicaSet. */
  currentHash: string;
  revision?: number;
  currentStepIndex?: number;
  stepCount: number;
  /** `setWeight: 10`, `analysis`, ... (Argo's CanaryStepString); undefined once all steps ran. */
  currentStep?: string;
  stepAnalysisRun?: RolloutAnalysisRunStatus;
  replicas: { desired: number; current: number; updated: number; ready: number; available: number };
}

/** CanaryStepString (utils/rollout/rolloututil.go). */
export function canaryStepString(step: CanaryStep): string {
  if (step.setWeight !== undefined) return `setWeight: ${step.setWeight}`;
  if (step.pause) return step.pause.duration === undefined ? "pause" : `pause: ${formatDuration(step.pause.duration)}`;
  if (step.experiment) return "experiment";
  if (step.analysis) return "analysis";
  if (step.setCanaryScale) {
    if (step.setCanaryScale.weight !== undefined) return `setCanaryScale{weight: ${step.setCanaryScale.weight}}`;
    if (step.setCanaryScale.matchTrafficWeight) return "setCanaryScale{matchTrafficWeight: true}";
    if (step.setCanaryScale.replicas !== undefined) return `setCanaryScale{replicas: ${step.setCanaryScale.replicas}}`;
  }
  if (step.plugin) return `plugin: ${step.plugin.name ?? ""}`;
  if (step.setHeaderRoute) return `setHeaderRoute: ${step.setHeaderRoute.name ?? ""}`;
  if (step.setMirrorRoute) return `setMirrorRoute: ${step.setMirrorRoute.name ?? ""}`;
  return "invalid";
}

/** Argo prints a pause duration as its intstr value; a bare number means seconds. */
function formatDuration(duration: string | number): string {
  return typeof duration === "number" ? `${duration}s` : duration;
}

export function findCondition(rollout: Rollout, type: string): RolloutCondition | undefined {
  return rollout.status?.conditions?.find((condition) => condition.type === type);
}

export function summarizeRollout(rollout: Rollout): RolloutSummary {
  const status = rollout.status ?? {};
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  const { phase, message } = getRolloutPhase(rollout);
  const stepIndex = status.currentStepIndex;
  const step = stepIndex === undefined ? undefined : steps[stepIndex];
  const revisionText = rollout.metadata.annotations?.[REVISION_ANNOTATION];
  return {
    name: rollout.metadata.name,
    namespace: rollout.metadata.namespace ?? "",
    generation: rollout.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? "",
    generationObserved: isGenerationObserved(rollout),
    phase,
    message,
    abort: status.abort === true,
    abortedAt: status.abortedAt,
    progressing: findCondition(rollout, "Progressing"),
    stableHash: status.stableRS ?? "",
    currentHash: status.currentPodHash ?? "",
    revision: revisionText === undefined ? undefined : Number(revisionText),
    currentStepIndex: stepIndex,
    stepCount: steps.length,
    currentStep: step ? canaryStepString(step) : undefined,
    stepAnalysisRun: status.canary?.currentStepAnalysisRunStatus,
    replicas: {
      desired: rollout.spec.replicas ?? 1,
      current: status.replicas ?? 0,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
    },
  };
}
