/**
 * The `/stats` contract of one queue-manager pod, and the canary aggregate built from it. One source
 * of truth for the pod (producer), the canary-stats aggregator (consumer) and the AnalysisTemplate's
 * conditions (`result.requests`, `result.errorRate`).
 *
 * No data is explicit: `errorRate` is `null` when nothing was served, never 0, so a reader that forgets
 * to check `requests` cannot mistake an idle canary for a healthy one.
 */
import { z } from "zod";

export const podStatsSchema = z.object({
  version: z.string(),
  pod: z.string(),
  /** `rollouts-pod-template-hash` of the pod; empty when the pod was not created by a Rollout. */
  podTemplateHash: z.string(),
  /** Business requests (`/enqueue`) served since the process started. */
  requests: z.number().int().min(0),
  /** Of those, answered with a 5xx. */
  errors: z.number().int().min(0),
  errorRate: z.number().min(0).max(1).nullable(),
  startedAt: z.string(),
  uptimeSeconds: z.number().min(0),
});
export type PodStats = z.infer<typeof podStatsSchema>;

export function errorRateOf(requests: number, errors: number): number | null {
  return requests === 0 ? null : errors / requests;
}

export interface CanaryPodSample {
  pod: string;
  stats: PodStats;
}

/** What the AnalysisTemplate's web metric reads (`jsonPath: "{$}"`). */
export interface CanaryStats {
  podTemplateHash: string;
  /** Pods that were measured (Running, with an IP). */
  pods: number;
  requests: number;
  errors: number;
  errorRate: number | null;
  versions: string[];
  perPod: { pod: string; version: string; requests: number; errors: number }[];
}

export class CanaryStatsError extends Error {
  override readonly name = "CanaryStatsError";
}

/**
 * Sums the pods of one pod-template hash. Throws when a pod answers for another hash or pod name: a
 * recycled pod IP must fail the measurement, not blend a stable pod into the canary.
 */
export function aggregateCanaryStats(podTemplateHash: string, samples: readonly CanaryPodSample[]): CanaryStats {
  for (const { pod, stats } of samples) {
    if (stats.podTemplateHash !== "" && stats.podTemplateHash !== podTemplateHash) {
      throw new CanaryStatsError(
        `pod ${pod}: /stats reports rollouts-pod-template-hash ${stats.podTemplateHash}, expected ${podTemplateHash}`,
      );
    }
    if (stats.pod !== pod) {
      throw new CanaryStatsError(`pod ${pod}: /stats was answered by pod ${stats.pod} (pod IP reused?)`);
    }
  }
  const requests = samples.reduce((sum, { stats }) => sum + stats.requests, 0);
  const errors = samples.reduce((sum, { stats }) => sum + stats.errors, 0);
  return {
    podTemplateHash,
    pods: samples.length,
    requests,
    errors,
    errorRate: errorRateOf(requests, errors),
    versions: [...new Set(samples.map(({ stats }) => stats.version))].sort(),
    perPod: samples.map(({ pod, stats }) => ({ pod, version: stats.version, requests: stats.requests, errors: stats.errors })),
  };
}
