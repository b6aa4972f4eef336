/**
 * The safety policy: what a scenario may hit. Checked at plan time (`chaoslab plan`) and again right
 * before every injection, because targets are re-selected on every iteration and the cluster changes.
 *
 * A pod is a legal target when its namespace is allowed, it is opted in (label on the pod or on its
 * namespace), and the fault's selection stays within `maxTargets` and `maxPercent` of the candidates.
 */
import { z } from "zod";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";
import type { SafetyVerdict } from "../../reports/results/scenario-result.ts";

/** Opt-in label: on a pod, or on its namespace to opt in every pod there. */
export const CHAOS_OPT_IN_LABEL = { key: "chaoslab.streamforge.io/chaos-target", value: "true" } as const;

/** Label on everything the harness creates (setup Jobs, helper pods), for cleanup and the leak audit. */
export const RUN_ID_LABEL = "chaoslab.streamforge.io/run-id";

export const DEFAULT_SAFETY = { allowedNamespaces: [STREAMFORGE_NAMESPACE], maxTargets: 1, maxPercent: 100 } as const;

/**
 * Namespaces a scenario never reaches by accident, on any cluster: Kubernetes' own, and the lab's control
 * namespaces (Argo Rollouts' controller; kwok's on the sim). A target there is refused unless the
 * scenario lists the namespace in safety.allowedNamespaces itself; an opt-in label is not enough.
 */
export const PROTECTED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage", "argo-rollouts", "kwok-system"] as const;

export function isProtectedNamespace(namespace: string): boolean {
  return (PROTECTED_NAMESPACES as readonly string[]).includes(namespace);
}

export const safetySchema = z
  .object({
    allowedNamespaces: z
      .array(z.string().min(1))
      .min(1)
      .default([...DEFAULT_SAFETY.allowedNamespaces])
      .meta({ description: "Namespaces whose pods may be targeted. Default: [streamforge]." }),
    maxTargets: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_SAFETY.maxTargets)
      .meta({ description: "Most targets (pods, brokers) one fault may hit at a time. Default: 1." }),
    maxPercent: z
      .number()
      .gt(0)
      .max(100)
      .default(DEFAULT_SAFETY.maxPercent)
      .meta({ description: "Most targets one fault may hit, as a share of the matching candidates. Default: 100." }),
  })
  .strict()
  .prefault({})
  .meta({ description: "What this scenario may hit; checked by `chaoslab plan` and before every injection." });

export type SafetyPolicy = z.infer<typeof safetySchema>;

export interface SafetyCandidate {
  /** What the target is, for messages: `pod streamforge/loader-1-abcde`, `broker 2`. */
  label: string;
  /** Undefined for targets outside Kubernetes namespaces (brokers on the sim are processes). */
  namespace?: string;
  /** Pods: opted in by label on the pod or its namespace. Undefined where opt-in does not apply. */
  optedIn?: boolean;
}


export function checkSafety(selected: readonly SafetyCandidate[], candidateCount: number, policy: SafetyPolicy): SafetyVerdict {
  const violations: string[] = [];
  for (const target of selected) {
    if (target.namespace !== undefined && !policy.allowedNamespaces.includes(target.namespace)) {
      violations.push(
        isProtectedNamespace(target.namespace)
          ? `${target.label}: ${target.namespace} is a protected namespace; only a scenario that lists it in safety.allowedNamespaces may touch it`
          : `${target.label}: namespace ${target.namespace} is not in safety.allowedNamespaces [${policy.allowedNamespaces.join(", ")}]`,
      );
    }
    if (target.optedIn === false) {
      violations.push(
        `${target.label}: not opted in; label the pod or its namespace ${CHAOS_OPT_IN_LABEL.key}=${CHAOS_OPT_IN_LABEL.value}`,
      );
    }
  }
  if (selected.length > policy.maxTargets) {
    violations.push(`${selected.length} targets selected, safety.maxTargets is ${policy.maxTargets}`);
  }
  if (candidateCount > 0) {
    const percent = (selected.length / candidateCount) * 100;
    if (percent > policy.maxPercent + 1e-9) {
      violations.push(
        `${selected.length} of ${candidateCount} candidates (${percent.toFixed(0)}%) selected, safety.maxPercent is ${policy.maxPercent}`,
      );
    }
  }
  return { ok: violations.length === 0, violations };
}

export function isOptedIn(podLabels: Record<string, string> | undefined, namespaceLabels: Record<string, string> | undefined): boolean {
  return (
    podLabels?.[CHAOS_OPT_IN_LABEL.key] === CHAOS_OPT_IN_LABEL.value ||
    namespaceLabels?.[CHAOS_OPT_IN_LABEL.key] === CHAOS_OPT_IN_LABEL.value
  );
}

export class SafetyViolationError extends Error {
  override name = "SafetyViolationError";
  constructor(
    readonly fault: string,
    readonly violations: string[],
  ) {
    super(`fault ${fault} would violate the safety policy:\n  - ${violations.join("\n  - ")}`);
  }
}
