/**
 * The Rollout probe: read a Rollout and what it owns (`collectRolloutSnapshot`), wait on it
 * (`waitForRollout`), and judge the canary experiments (`judgeRollback`, `judgePromotion`).
 */
export type * from "./argo-rollouts-types.ts";
export { getRolloutPhase, calculateRolloutPhase, isGenerationObserved, isUnpausing } from "./rollout-phase.ts";
export { summarizeRollout, canaryStepString, type RolloutSummary } from "./rollout-summary.ts";
export { summarizeAnalysisRun, measurementsWithValue, type AnalysisRunSummary, type MetricSummary } from "./analysis-run-summary.ts";
export {
  collectRolloutSnapshot,
  findStepAnalysisRun,
  kubeReaderRolloutReader,
  type RolloutReader,
  type RolloutSnapshot,
  type RolloutTarget,
} from "./rollout-snapshot.ts";
export {
  judgePromotion,
  judgeRollback,
  WRONG_CAUSE,
  type RolloutBaseline,
  type RolloutCheck,
  type RolloutEvidence,
  type RolloutJudgement,
} from "./rollout-judgement.ts";
export { waitForRollout, rolloutIs, type WaitOptions, type WaitResult } from "./wait-for-rollout.ts";
export { rolloutProbe } from "./rollout-probe.ts";
