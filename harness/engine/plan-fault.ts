/**
 * Planning one fault: the scenario's entry as the spec its module is created from, the read-only
 * context it plans in, and the plan. One function for `chaoslab plan` (the dry run) and the run's plan
 * phase, so what the dry run shows is what the run will do.
 */
import type { StartedLab } from "../../cluster/provider.ts";
import type { FaultPlan } from "../../reports/results/scenario-result.ts";
import { findFault, type Catalog } from "../catalog.ts";
import type { Log, PlanContext, ReadPorts } from "../core/context.ts";
import { deriveRng } from "../core/rng.ts";
import type { SafetyPolicy } from "../core/safety.ts";
import type { FaultSpec } from "../faults/fault.ts";
import type { FaultEntry } from "../scenario/schema.ts";

export function faultSpecOf(entry: FaultEntry): FaultSpec<unknown, unknown> {
  return {
    name: entry.name,
    type: entry.type,
    target: entry.target,
    params: entry.params,
    durationMs: entry.duration,
    confirmWithinMs: entry.confirmWithin,
  };
}

export interface PlanScope {
  ports: ReadPorts;
  lab: StartedLab;
  scenario: string;
  safety: SafetyPolicy;
  seed: number;
  /** Absent in `chaoslab plan`: there is no run yet. */
  runId?: string;
  log: Log;
}

/** The plan context of one decision scope (`fault:<name>`): its seeded randomness is derived from the scope. */
export function planContextFor(scope: PlanScope, label: string): PlanContext {
  return {
    kube: scope.ports.kube,
    kafka: scope.ports.kafka,
    kafkaWorkloads: scope.ports.kafkaWorkloads,
    scenario: scope.scenario,
    description: scope.lab.description,
    brokerPaths: () => scope.lab.network.brokerPaths(),
    safety: scope.safety,
    seed: scope.seed,
    ...(scope.runId !== undefined ? { runId: scope.runId } : {}),
    rng: (...labels) => deriveRng(scope.seed, label, ...labels),
    log: scope.log,
  };
}

export async function planFault(catalog: Catalog, spec: FaultSpec<unknown, unknown>, scope: PlanScope): Promise<FaultPlan> {
  return findFault(catalog, spec.type).create(spec).plan(planContextFor(scope, `fault:${spec.name}`));
}
