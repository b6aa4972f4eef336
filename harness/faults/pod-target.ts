/**
 * Pod targets shared by pod faults: pods of a namespace chosen by label selector or by a named
 * workload, narrowed by the selection mode, and checked against the safety policy.
 */
import { z } from "zod";
import { checkSafety, isOptedIn, RUN_ID_LABEL } from "../core/safety.ts";
import type { SafetyVerdict } from "../../reports/results/scenario-result.ts";
import { checkSelection, selectionShape, selectTargets, type Selection } from "../core/selection.ts";
import type { PodInfo } from "../core/ports.ts";
import type { PlanContext } from "../core/context.ts";

export const WORKLOAD_KINDS = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  ReplicaSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  Rollout: "argoproj.io/v1alpha1",
} as const;

export const podTargetSchema = z
  .object({
    namespace: z.string().min(1),
    selector: z.string().min(1).optional().meta({ description: "Label selector, e.g. app=loader." }),
    workload: z
      .object({ kind: z.enum(Object.keys(WORKLOAD_KINDS) as [keyof typeof WORKLOAD_KINDS]), name: z.string().min(1) })
      .strict()
      .optional()
      .meta({ description: "Pods of this workload (its spec.selector)." }),
    thisRun: z
      .boolean()
      .default(false)
      .meta({ description: "Only pods of objects this run created (its run-id label): on a shared lab, never someone else's loader." }),
    ...selectionShape,
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.selector === undefined) === (value.workload === undefined)) {
      ctx.addIssue({ code: "custom", path: ["selector"], message: "give exactly one of selector or workload" });
    }
    checkSelection(value, ctx);
  });

export type PodTarget = z.output<typeof podTargetSchema>;

export function describePodTarget(target: PodTarget): string {
  return `${target.namespace}/${target.selector ? `-l ${target.selector}` : `${target.workload!.kind} ${target.workload!.name}`}`;
}

async function labelSelectorOf(target: PodTarget, ctx: Pick<PlanContext, "kube" | "runId">): Promise<string> {
  const base = await workloadSelectorOf(target, ctx);
  // Without a run (`chaoslab plan`) there is nothing of the run's yet: the plan shows the unscoped match.
  return target.thisRun && ctx.runId !== undefined ? `${base},${RUN_ID_LABEL}=${ctx.runId}` : base;
}

async function workloadSelectorOf(target: PodTarget, ctx: Pick<PlanContext, "kube">): Promise<string> {
  if (target.selector) return target.selector;
  const { kind, name } = target.workload!;
  const object = await ctx.kube.get({ apiVersion: WORKLOAD_KINDS[kind], kind, namespace: target.namespace, name });
  if (!object) throw new Error(`${kind} ${target.namespace}/${name} does not exist`);
  const matchLabels = (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  if (!matchLabels || Object.keys(matchLabels).length === 0) {
    throw new Error(`${kind} ${target.namespace}/${name} has no spec.selector.matchLabels to find its pods by`);
  }
  return Object.entries(matchLabels).map(([key, value]) => `${key}=${value}`).join(",");
}

export interface PodSelection {
  labelSelector: string;
  candidates: PodInfo[];
  selected: PodInfo[];
  safety: SafetyVerdict;
}

/**
 * Resolves candidates (pods not already terminating) and picks targets with a seeded Rng. Pods are
 * sorted by name, so the same seed over the same pods picks the same targets.
 */
export async function selectPods(target: PodTarget, ctx: Pick<PlanContext, "kube" | "safety" | "runId">, rng: ReturnType<PlanContext["rng"]>): Promise<PodSelection> {
  const labelSelector = await labelSelectorOf(target, ctx);
  const candidates = (await ctx.kube.listPods(target.namespace, labelSelector)).filter((pod) => !pod.terminating);
  const selected = selectTargets(candidates, target as Selection, rng, (pod) => pod.name);
  const namespaceLabels = await ctx.kube.namespaceLabels(target.namespace);
  const safety = checkSafety(
    selected.map((pod) => ({ label: `pod ${pod.namespace}/${pod.name}`, namespace: pod.namespace, optedIn: isOptedIn(pod.labels, namespaceLabels) })),
    candidates.length,
    ctx.safety,
  );
  return { labelSelector, candidates, selected, safety };
}
