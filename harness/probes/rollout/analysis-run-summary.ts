/**
 * What an AnalysisRun concluded and on what evidence: its phase, which metric decided it, and the
 * measurements that metric recorded. A run can end Failed/Error/Inconclusive for reasons that have
 * nothing to do with the canary (an unreachable metrics endpoint is `Error`; a run terminated before
 * its first measurement even counts as `Successful`), so judges look at the measurements, not only
 * at the phase.
 */
import type { AnalysisPhase, AnalysisRun, Measurement, MetricResult } from "./argo-rollouts-types.ts";
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, ROLLOUT_TYPE_LABEL, STEP_INDEX_LABEL } from "./argo-rollouts-types.ts";

export interface MetricSummary {
  name: string;
  phase: AnalysisPhase;
  dryRun: boolean;
  message?: string;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  measurements: Measurement[];
}

export interface AnalysisRunSummary {
  name: string;
  phase: AnalysisPhase | "Unknown";
  message: string;
  podTemplateHash?: string;
  rolloutType?: string;
  stepIndex?: number;
  revision?: number;
  startedAt?: string;
  completedAt?: string;
  terminated: boolean;
  metrics: MetricSummary[];
  /**
   * The metric that decided a Failed, Error or Inconclusive run: the first non-dry-run metric whose
   * phase equals the run's. Undefined for Successful/Running runs.
   */
  decidingMetric?: MetricSummary;
}

function summarizeMetric(result: MetricResult): MetricSummary {
  return {
    name: result.name,
    phase: result.phase,
    dryRun: result.dryRun === true,
    message: result.message,
    count: result.count ?? 0,
    successful: result.successful ?? 0,
    failed: result.failed ?? 0,
    inconclusive: result.inconclusive ?? 0,
    error: result.error ?? 0,
    measurements: result.measurements ?? [],
  };
}

export function summarizeAnalysisRun(run: AnalysisRun): AnalysisRunSummary {
  const labels = run.metadata.labels ?? {};
  const phase = run.status?.phase || "Unknown";
  const metrics = (run.status?.metricResults ?? []).map(summarizeMetric);
  const stepIndex = labels[STEP_INDEX_LABEL];
  const revision = run.metadata.annotations?.[REVISION_ANNOTATION];
  return {
    name: run.metadata.name,
    phase,
    message: run.status?.message ?? "",
    podTemplateHash: labels[POD_TEMPLATE_HASH_LABEL],
    rolloutType: labels[ROLLOUT_TYPE_LABEL],
    stepIndex: stepIndex === undefined ? undefined : Number(stepIndex),
    revision: revision === undefined ? undefined : Number(revision),
    startedAt: run.status?.startedAt,
    completedAt: run.status?.completedAt,
    terminated: run.spec?.terminate === true,
    metrics,
    decidingMetric: ["Failed", "Error", "Inconclusive"].includes(phase)
      ? metrics.find((metric) => !metric.dryRun && metric.phase === phase)
      : undefined,
  };
}

/** Measurements that actually measured something: the given phase, finished, with a value. */
export function measurementsWithValue(metric: MetricSummary, phase: AnalysisPhase): Measurement[] {
  return metric.measurements.filter(
    (measurement) => measurement.phase === phase && measurement.finishedAt !== undefined && (measurement.value ?? "") !== "",
  );
}
