/**
 * `rollout`: a Rollout is healthy, rolled back by its analysis, or promoted (canary.md).
 *
 *   rollout: {name: queue-manager, services: [queue-manager], expect: rolled-back, within: 3m}
 *   rollout: {name: queue-manager, services: [queue-manager], expect: promoted, stableHash: 5b8c7d9f4}
 *
 * The namespace, when not given, is the one the run's `canary` setup deployed the Rollout into
 * (rollout-baseline.ts; its own namespace with `ownNamespace`), else streamforge: the scenario names
 * the Rollout, the setup alone decides where it lives.
 *
 * `rolled-back` and `promoted` judge revision N+1 against revision N's stable hash: `stableHash` when
 * given, else the baseline the `canary` setup action recorded before the change (rollout-baseline.ts),
 * else it is read from ReplicaSet revision history. The sample's value
 * is the whole judgement (every check with expected/found, the AnalysisRun and its failing metric's
 * measurements, time from revision N+1 to the outcome) for the report. An unreadable API is no-data.
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";
import { judgePromotion, judgeRollback, previousRevisionHash, type RolloutJudgement } from "./rollout/rollout-judgement.ts";
import { collectRolloutSnapshot, labRolloutReader, type RolloutSnapshot } from "./rollout/rollout-snapshot.ts";
import { summarizeRollout } from "./rollout/rollout-summary.ts";
import { readRolloutBaseline, readRolloutNamespace } from "./rollout/rollout-baseline.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

const params = z
  .object({
    namespace: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Default: where this run's canary setup deployed the Rollout (its own namespace with ownNamespace), else streamforge." }),
    name: z.string().min(1),
    services: z
      .array(z.string().min(1))
      .default([])
      .meta({ description: "Services whose endpoints are checked besides the Rollout's canary/stable Services." }),
    expect: z.enum(["healthy", "rolled-back", "promoted"]),
    stableHash: z.string().min(1).optional().meta({ description: "status.stableRS of revision N, recorded before the change." }),
  })
  .strict();

function compact(judgement: RolloutJudgement) {
  return {
    verdict: judgement.verdict,
    reason: judgement.reason,
    checks: judgement.checks,
    timing: judgement.timing,
    rollout: judgement.rollout,
    analysisRun: judgement.analysisRun && {
      name: judgement.analysisRun.name,
      phase: judgement.analysisRun.phase,
      message: judgement.analysisRun.message,
      metrics: judgement.analysisRun.metrics,
    },
  };
}

export const rolloutProbe = defineProbe({
  kind: "rollout",
  summary: "An Argo Rollout is healthy, rolled back by its analysis for the right cause, or promoted after a measured analysis.",
  params,
  create: (spec) => ({
    describe: () => `Rollout ${spec.namespace ? `${spec.namespace}/` : ""}${spec.name} ${spec.expect}`,
    async sample(ctx) {
      const namespace = spec.namespace ?? (await readRolloutNamespace(ctx.shared, spec.name)) ?? STREAMFORGE_NAMESPACE;
      const target = { ...spec, namespace };
      let snapshot: RolloutSnapshot;
      try {
        // Endpoints as the lab routes them (on the sim they are derived: its EndpointSlices stay empty).
        snapshot = await collectRolloutSnapshot(labRolloutReader(ctx.kube, ctx.services), target, () => new Date(ctx.clock.now()));
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read Rollout ${namespace}/${spec.name}: ${(error as Error).message}` };
      }
      if (spec.expect === "healthy") {
        const summary = summarizeRollout(snapshot.rollout);
        const healthy = summary.phase === "Healthy" && summary.stableHash !== "" && summary.stableHash === summary.currentHash;
        return {
          outcome: healthy ? "ok" : "not-ok",
          value: summary,
          detail: `${summary.phase}${summary.message ? ` (${summary.message})` : ""}, stable ${summary.stableHash || "none"}, current ${summary.currentHash || "none"}`,
        };
      }
      // Recorded by the `canary` setup action while revision N was Healthy, before the change.
      const recorded = await readRolloutBaseline(ctx.shared, namespace, spec.name);
      const stableHash = spec.stableHash ?? recorded?.stableHash ?? previousRevisionHash(snapshot);
      if (!stableHash) {
        return { outcome: "no-data", detail: `Rollout ${namespace}/${spec.name}: no revision N to compare with (give stableHash, or wait for revision N+1)` };
      }
      const judge = spec.expect === "rolled-back" ? judgeRollback : judgePromotion;
      const judgement = judge({ snapshot, baseline: { stableHash, updateAppliedAt: recorded?.stableHash === stableHash ? recorded.updateAppliedAt : undefined } });
      return { outcome: judgement.verdict === "passed" ? "ok" : "not-ok", value: compact(judgement), detail: judgement.reason };
    },
  }),
});
