/**
 * Verdicts of the canary experiments (shared/specs/canary.md), as pure functions of a snapshot and the
 * baseline taken before the change:
 *   - `judgeRollback`: a bad revision N+1 was rolled back *because its analysis measured it failing*;
 *   - `judgePromotion`: the control experiment, a good revision N+1 measured, promoted and now stable.
 * Every check is reported with what was expected and what was found, passed or not, so a report can
 * show the whole chain of evidence.
 */
import type { EndpointSlice, Pod } from "./argo-rollouts-types.ts";
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, ROLLOUT_ABORTED_REASON } from "./argo-rollouts-types.ts";
import { measurementsWithValue, summarizeAnalysisRun, type AnalysisRunSummary, type MetricSummary } from "./analysis-run-summary.ts";
import { findStepAnalysisRun, type RolloutSnapshot } from "./rollout-snapshot.ts";
import { findCondition, summarizeRollout, type RolloutSummary } from "./rollout-summary.ts";

export interface RolloutBaseline {
  /** `status.stableRS` while the Rollout was Healthy at revision N, read before the change. */
  stableHash: string;
  /** Harness clock when the pod-template change creating revision N+1 was applied (ISO 8601). */
  updateAppliedAt?: string;
}

export interface RolloutEvidence {
  snapshot: RolloutSnapshot;
  baseline: RolloutBaseline;
}

export interface RolloutCheck {
  name: string;
  ok: boolean;
  expected: string;
  found: string;
}

export interface RolloutTiming {
  /** creationTimestamp of revision N+1's ReplicaSet (API server clock, 1 s resolution). */
  revisionCreatedAt?: string;
  /** `status.abortedAt`, else when the Progressing condition turned RolloutAborted. */
  abortedAt?: string;
  /** When the Completed condition turned True. */
  promotedAt?: string;
  /** Revision N+1 created → aborted / promoted: both API-server timestamps, so ±1 s. */
  revisionToOutcomeMs?: number;
  /** Change applied by the harness → aborted / promoted: mixes the harness's and the API server's clocks. */
  updateToOutcomeMs?: number;
}

/**
 * The stable hash of revision N read back from ReplicaSet history: the hash of the highest revision
 * below the current one. Weaker than a baseline recorded before the change (it is read from the same
 * state being judged), so prefer recording `status.stableRS` while revision N is Healthy.
 */
export function previousRevisionHash(snapshot: RolloutSnapshot): string | undefined {
  const revisionOf = (replicaSet: RolloutSnapshot["replicaSets"][number]) => Number(replicaSet.metadata.annotations?.[REVISION_ANNOTATION] ?? Number.NaN);
  const currentHash = snapshot.rollout.status?.currentPodHash;
  const current = snapshot.replicaSets.find((replicaSet) => hashOf(replicaSet) === currentHash);
  if (!current || !Number.isFinite(revisionOf(current))) return undefined;
  const older = snapshot.replicaSets
    .filter((replicaSet) => revisionOf(replicaSet) < revisionOf(current))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  const previous = older[0];
  return previous ? hashOf(previous) : undefined;
}

export const WRONG_CAUSE = "rolled back for the wrong cause";

export interface RolloutJudgement {
  verdict: "passed" | "failed";
  reason: string;
  checks: RolloutCheck[];
  rollout: RolloutSummary;
  analysisRun?: AnalysisRunSummary & { foundBy: "status" | "labels" };
  /** Rollback: the metric that failed the run. Promotion: undefined. */
  failingMetric?: MetricSummary;
  timing: RolloutTiming;
}

function check(name: string, ok: boolean, expected: string, found: string): RolloutCheck {
  return { name, ok, expected, found };
}

function hashOf(object: { metadata: { labels?: Record<string, string> } }): string | undefined {
  return object.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

function isLive(pod: Pod): boolean {
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

/** `3 × 5b8c7d9f4, 1 × 6f4d8b7c9`: a count per hash, for `found` texts. */
function countByHash(hashes: string[]): string {
  if (hashes.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const hash of hashes) counts.set(hash, (counts.get(hash) ?? 0) + 1);
  return [...counts].map(([hash, count]) => `${count} × ${hash}`).join(", ");
}

/** Hash of the pod behind each endpoint; `unknown` when the endpoint names no pod of the snapshot. */
function endpointHashes(slices: EndpointSlice[], pods: Pod[]): string[] {
  const podHash = new Map(pods.map((pod) => [pod.metadata.name, hashOf(pod) ?? "unknown"]));
  return slices.flatMap((slice) =>
    (slice.endpoints ?? []).map((endpoint) => podHash.get(endpoint.targetRef?.name ?? "") ?? `unknown(${endpoint.addresses.join(",")})`),
  );
}

function serviceChecks(snapshot: RolloutSnapshot, onlyHash: string, role: string): RolloutCheck[] {
  return Object.entries(snapshot.endpointSlices).map(([service, slices]) => {
    const hashes = endpointHashes(slices, snapshot.pods);
    return check(
      `Service ${service} routes to ${role} pods only`,
      hashes.length > 0 && hashes.every((hash) => hash === onlyHash),
      `at least one endpoint, every one a pod of ${onlyHash}`,
      countByHash(hashes),
    );
  });
}

function replicaSetScaledDownCheck(snapshot: RolloutSnapshot, hash: string, name: string): RolloutCheck {
  const replicaSet = snapshot.replicaSets.find((candidate) => hashOf(candidate) === hash);
  const livePods = snapshot.pods.filter((pod) => hashOf(pod) === hash && isLive(pod));
  const desired = replicaSet?.spec?.replicas;
  const current = replicaSet?.status?.replicas ?? 0;
  return check(
    name,
    replicaSet !== undefined && desired === 0 && current === 0 && livePods.length === 0,
    `ReplicaSet of ${hash} with spec.replicas 0, status.replicas 0 and no Pending/Running pods`,
    replicaSet === undefined
      ? `no ReplicaSet of ${hash}`
      : `spec.replicas ${desired ?? "unset"}, status.replicas ${current}, live pods ${livePods.length}${livePods.length ? ` (${livePods.map((pod) => pod.metadata.name).join(", ")})` : ""}`,
  );
}

function commonChecks(summary: RolloutSummary, baseline: RolloutBaseline): RolloutCheck[] {
  return [
    check(
      "revision N+1 exists",
      summary.currentHash !== "" && summary.currentHash !== baseline.stableHash,
      `status.currentPodHash differs from the baseline stable ${baseline.stableHash}`,
      summary.currentHash || "empty",
    ),
    check(
      "controller observed the latest spec",
      summary.generationObserved,
      `status.observedGeneration == metadata.generation (${summary.generation})`,
      summary.observedGeneration || "empty",
    ),
  ];
}

function elapsedMs(from: string | undefined, to: string | undefined): number | undefined {
  if (from === undefined || to === undefined) return undefined;
  const elapsed = Date.parse(to) - Date.parse(from);
  return Number.isFinite(elapsed) ? elapsed : undefined;
}

function timing(snapshot: RolloutSnapshot, baseline: RolloutBaseline, summary: RolloutSummary, outcomeAt: string | undefined, outcome: "abortedAt" | "promotedAt"): RolloutTiming {
  const revisionCreatedAt = snapshot.replicaSets.find((replicaSet) => hashOf(replicaSet) === summary.currentHash)?.metadata.creationTimestamp;
  return {
    revisionCreatedAt,
    [outcome]: outcomeAt,
    revisionToOutcomeMs: elapsedMs(revisionCreatedAt, outcomeAt),
    updateToOutcomeMs: elapsedMs(baseline.updateAppliedAt, outcomeAt),
  };
}

function describeMeasurement(metric: MetricSummary, phase: "Failed" | "Successful"): string {
  const measured = measurementsWithValue(metric, phase);
  const last = measured.at(-1);
  return `${metric.name}: ${measured.length} ${phase} measurement(s)${last ? `, last value ${last.value}` : ""}`;
}

function firstFailure(checks: RolloutCheck[]): string {
  const failed = checks.find((candidate) => !candidate.ok);
  return failed ? `${failed.name}: expected ${failed.expected}, found ${failed.found}` : "";
}

/**
 * Passed only if everything in canary.md's "What rolled back means" holds. An abort whose step
 * AnalysisRun ended Error or Inconclusive, or whose failing metric recorded no measurement (a broken
 * metrics endpoint also aborts), fails with reason "rolled back for the wrong cause".
 */
export function judgeRollback({ snapshot, baseline }: RolloutEvidence): RolloutJudgement {
  const summary = summarizeRollout(snapshot.rollout);
  const found = findStepAnalysisRun(snapshot, summary.currentHash);
  const analysisRun = found ? { ...summarizeAnalysisRun(found.run), foundBy: found.foundBy } : undefined;
  const failingMetric = analysisRun?.phase === "Failed" ? analysisRun.decidingMetric : undefined;
  const failingMeasured = failingMetric !== undefined && measurementsWithValue(failingMetric, "Failed").length > 0;
  const abortCondition = findCondition(snapshot.rollout, "Progressing");
  const abortedAt = summary.abortedAt ?? (abortCondition?.reason === ROLLOUT_ABORTED_REASON ? abortCondition.lastTransitionTime : undefined);
  const times = timing(snapshot, baseline, summary, abortedAt, "abortedAt");

  const checks: RolloutCheck[] = [
    ...commonChecks(summary, baseline),
    check("status.abort", summary.abort, "true", String(summary.abort)),
    check("phase", summary.phase === "Degraded", "Degraded", summary.message ? `${summary.phase} (${summary.message})` : summary.phase),
    check("Progressing condition", summary.progressing?.reason === ROLLOUT_ABORTED_REASON, `reason ${ROLLOUT_ABORTED_REASON}`, summary.progressing ? `reason ${summary.progressing.reason}` : "absent"),
    check("step AnalysisRun of the canary", analysisRun !== undefined, `a Step AnalysisRun labelled ${POD_TEMPLATE_HASH_LABEL}=${summary.currentHash}`, analysisRun ? `${analysisRun.name} (found by ${analysisRun.foundBy})` : "none"),
    check("AnalysisRun phase", analysisRun?.phase === "Failed", "Failed (not Error, not Inconclusive)", analysisRun ? `${analysisRun.phase}${analysisRun.message ? `: ${analysisRun.message}` : ""}` : "no AnalysisRun"),
    check(
      "failing metric was measured",
      failingMeasured,
      "a non-dry-run metric in phase Failed with at least one Failed measurement carrying a value",
      failingMetric ? describeMeasurement(failingMetric, "Failed") : analysisRun?.phase === "Failed" ? "no metric in phase Failed" : "no failed metric",
    ),
    check("stable ReplicaSet unchanged", summary.stableHash === baseline.stableHash, `status.stableRS ${baseline.stableHash}`, summary.stableHash || "empty"),
    replicaSetScaledDownCheck(snapshot, summary.currentHash, "canary ReplicaSet scaled to 0, no canary pods running"),
    ...serviceChecks(snapshot, baseline.stableHash, "stable"),
    check(
      "time to abort measured",
      times.revisionToOutcomeMs !== undefined,
      "revision N+1's ReplicaSet creationTimestamp and the abort time",
      times.revisionToOutcomeMs === undefined ? `revisionCreatedAt ${times.revisionCreatedAt ?? "unknown"}, abortedAt ${abortedAt ?? "unknown"}` : `${times.revisionToOutcomeMs} ms`,
    ),
  ];

  const wrongCause = (() => {
    if (analysisRun && (analysisRun.phase === "Error" || analysisRun.phase === "Inconclusive")) {
      return `AnalysisRun ${analysisRun.name} ended ${analysisRun.phase}, not Failed${analysisRun.message ? `: ${analysisRun.message}` : ""}`;
    }
    if (analysisRun?.phase === "Failed" && !failingMeasured) {
      return `AnalysisRun ${analysisRun.name} is Failed but ${failingMetric ? `metric ${failingMetric.name} recorded no Failed measurement with a value` : "no metric is in phase Failed"}`;
    }
    if (summary.abort && !analysisRun) return `the Rollout aborted but no step AnalysisRun of ${summary.currentHash} exists (${summary.message})`;
    if (summary.abort && analysisRun?.phase !== "Failed") return `the Rollout aborted while AnalysisRun ${analysisRun?.name} was ${analysisRun?.phase} (${summary.message})`;
    return undefined;
  })();

  const passed = checks.every((candidate) => candidate.ok);
  const reason = passed
    ? `rolled back: ${analysisRun?.name} failed on ${failingMetric ? describeMeasurement(failingMetric, "Failed") : "?"}; stable ${summary.stableHash} unchanged; aborted ${times.revisionToOutcomeMs} ms after revision N+1`
    : wrongCause
      ? `${WRONG_CAUSE}: ${wrongCause}`
      : `${summary.abort ? "" : "not rolled back: "}${firstFailure(checks)}`;
  return { verdict: passed ? "passed" : "failed", reason, checks, rollout: summary, analysisRun, failingMetric, timing: times };
}

/**
 * The control experiment: a good revision N+1 passed an analysis that really measured it, was promoted
 * to 100% and is the new stable. Without it a rollback test passes vacuously (an analysis that always
 * fails also "rolls back").
 */
export function judgePromotion({ snapshot, baseline }: RolloutEvidence): RolloutJudgement {
  const summary = summarizeRollout(snapshot.rollout);
  const found = findStepAnalysisRun(snapshot, summary.currentHash);
  const analysisRun = found ? { ...summarizeAnalysisRun(found.run), foundBy: found.foundBy } : undefined;
  const decisive = (analysisRun?.metrics ?? []).filter((metric) => !metric.dryRun);
  const unmeasured = decisive.filter((metric) => metric.phase !== "Successful" || measurementsWithValue(metric, "Successful").length === 0);
  const newReplicaSet = snapshot.replicaSets.find((replicaSet) => hashOf(replicaSet) === summary.currentHash);
  const completed = findCondition(snapshot.rollout, "Completed");
  const promotedAt = completed?.status === "True" ? completed.lastTransitionTime : undefined;

  const checks: RolloutCheck[] = [
    ...commonChecks(summary, baseline),
    check("status.abort", !summary.abort, "false", String(summary.abort)),
    check("phase", summary.phase === "Healthy", "Healthy", summary.message ? `${summary.phase} (${summary.message})` : summary.phase),
    check("revision N+1 is the new stable", summary.stableHash !== "" && summary.stableHash === summary.currentHash, `status.stableRS == status.currentPodHash (${summary.currentHash})`, summary.stableHash || "empty"),
    check("all steps ran", summary.currentStepIndex === summary.stepCount, `status.currentStepIndex ${summary.stepCount}`, String(summary.currentStepIndex ?? "unset")),
    check("step AnalysisRun of the canary", analysisRun !== undefined, `a Step AnalysisRun labelled ${POD_TEMPLATE_HASH_LABEL}=${summary.currentHash}`, analysisRun ? `${analysisRun.name} (found by ${analysisRun.foundBy})` : "none"),
    check("AnalysisRun phase", analysisRun?.phase === "Successful", "Successful", analysisRun ? `${analysisRun.phase}${analysisRun.message ? `: ${analysisRun.message}` : ""}` : "no AnalysisRun"),
    check(
      "every metric was measured",
      decisive.length > 0 && unmeasured.length === 0,
      "every non-dry-run metric Successful with at least one Successful measurement carrying a value (a run terminated before measuring also reads Successful)",
      decisive.length === 0
        ? "no metrics"
        : decisive.map((metric) => `${describeMeasurement(metric, "Successful")} (phase ${metric.phase})`).join("; "),
    ),
    check(
      "revision N+1 fully available",
      newReplicaSet !== undefined && newReplicaSet.spec?.replicas === summary.replicas.desired && newReplicaSet.status?.availableReplicas === summary.replicas.desired,
      `ReplicaSet of ${summary.currentHash} with ${summary.replicas.desired} desired and available replicas`,
      newReplicaSet ? `spec.replicas ${newReplicaSet.spec?.replicas ?? "unset"}, available ${newReplicaSet.status?.availableReplicas ?? 0}` : "no ReplicaSet",
    ),
    replicaSetScaledDownCheck(snapshot, baseline.stableHash, "previous stable ReplicaSet scaled to 0, no old pods running"),
    ...serviceChecks(snapshot, summary.currentHash, "revision N+1"),
  ];
  const times = timing(snapshot, baseline, summary, promotedAt, "promotedAt");
  const passed = checks.every((candidate) => candidate.ok);
  const reason = passed
    ? `promoted: ${analysisRun?.name} passed on ${decisive.map((metric) => describeMeasurement(metric, "Successful")).join("; ")}; ${summary.currentHash} is stable ${times.revisionToOutcomeMs ?? "?"} ms after revision N+1`
    : `not promoted: ${firstFailure(checks)}`;
  return { verdict: passed ? "passed" : "failed", reason, checks, rollout: summary, analysisRun, timing: times };
}
