/**
 * The parts of Argo Rollouts v1.9.1 objects (pkg/apis/rollouts/v1alpha1/types.go, analysis_types.go)
 * and of core Kubernetes objects that the rollout probe reads, as they arrive in JSON. Timestamps are
 * RFC 3339 strings (metav1.Time, second resolution).
 */
import type { KubeObject } from "../../core/ports.ts";

/** The metadata the ports read (core/ports.ts), with the timestamps as JSON carries them. */
export interface ObjectMeta extends Omit<KubeObject["metadata"], "creationTimestamp" | "deletionTimestamp"> {
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export type RolloutPhase = "Healthy" | "Degraded" | "Progressing" | "Paused";
export type AnalysisPhase = "Pending" | "Running" | "Successful" | "Failed" | "Error" | "Inconclusive";

export interface CanaryStep {
  setWeight?: number;
  pause?: { duration?: string | number };
  analysis?: { templates?: { templateName?: string; clusterScope?: boolean }[]; args?: unknown[] };
  experiment?: unknown;
  setCanaryScale?: { weight?: number; replicas?: number; matchTrafficWeight?: boolean };
  setHeaderRoute?: { name?: string };
  setMirrorRoute?: { name?: string };
  plugin?: { name?: string };
}

export interface RolloutCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface RolloutAnalysisRunStatus {
  name: string;
  status: AnalysisPhase | "";
  message?: string;
}

export interface Rollout {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    paused?: boolean;
    restartAt?: string;
    selector?: { matchLabels?: Record<string, string> };
    strategy: {
      canary?: {
        canaryService?: string;
        stableService?: string;
        trafficRouting?: unknown;
        steps?: CanaryStep[];
      };
      blueGreen?: { activeService?: string; previewService?: string; postPromotionAnalysis?: unknown };
    };
    templateResolvedFromRef?: boolean;
  };
  status?: {
    abort?: boolean;
    abortedAt?: string;
    pauseConditions?: { reason: string; startTime?: string }[];
    controllerPause?: boolean;
    currentPodHash?: string;
    currentStepHash?: string;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentStepIndex?: number;
    observedGeneration?: string;
    workloadObservedGeneration?: string;
    conditions?: RolloutCondition[];
    canary?: {
      currentStepAnalysisRunStatus?: RolloutAnalysisRunStatus;
      currentBackgroundAnalysisRunStatus?: RolloutAnalysisRunStatus;
    };
    blueGreen?: {
      activeSelector?: string;
      postPromotionAnalysisRunStatus?: RolloutAnalysisRunStatus;
    };
    stableRS?: string;
    restartedAt?: string;
    promoteFull?: boolean;
    phase?: RolloutPhase | "";
    message?: string;
  };
}

export interface Measurement {
  phase: AnalysisPhase;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  value?: string;
  metadata?: Record<string, string>;
}

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements?: Measurement[];
  message?: string;
  count?: number;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  consecutiveError?: number;
  consecutiveSuccess?: number;
  dryRun?: boolean;
}

export interface AnalysisRun {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: {
    metrics?: { name: string; successCondition?: string; failureCondition?: string; provider?: Record<string, unknown> }[];
    args?: { name: string; value?: string }[];
    terminate?: boolean;
  };
  status?: {
    phase?: AnalysisPhase | "";
    message?: string;
    metricResults?: MetricResult[];
    startedAt?: string;
    completedAt?: string;
    runSummary?: { count?: number; successful?: number; failed?: number; inconclusive?: number; error?: number };
  };
}

export interface ReplicaSet {
  metadata: ObjectMeta;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

export interface Pod {
  metadata: ObjectMeta;
  status?: { phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown"; podIP?: string };
}

export interface EndpointSlice {
  metadata: ObjectMeta;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
  }[];
}

/** Label Argo puts on ReplicaSets, pods and AnalysisRuns of one pod template. */
export const POD_TEMPLATE_HASH_LABEL = "rollouts-pod-template-hash";
/** Annotation with a ReplicaSet's (and Rollout's) revision number. */
export const REVISION_ANNOTATION = "rollout.argoproj.io/revision";
/** AnalysisRun labels (utils/analysis/factory.go). */
export const ROLLOUT_TYPE_LABEL = "rollout-type";
export const STEP_INDEX_LABEL = "step-index";
/** Progressing-condition reasons (utils/conditions/conditions.go). */
export const ROLLOUT_ABORTED_REASON = "RolloutAborted";
export const TIMED_OUT_REASON = "ProgressDeadlineExceeded";
