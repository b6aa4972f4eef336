/**
 * The fault contract. One module per fault type in this folder, each a `FaultType` added to
 * `registry.ts`; the runner and the schema code only ever see this interface.
 *
 * Lifecycle of one fault in a run: `plan` (resolve targets, check safety, touch nothing) → `inject`
 * (journal how to revert BEFORE each mutation, mutate, return evidence that the effect landed) → the
 * runner waits out `duration` → every journaled action is replayed through `revert`. `revert` is static
 * and takes only the journaled action, so `chaoslab cleanup` can run it from a fresh process after a crash.
 */
import type { z } from "zod";
import type { DurationMs } from "../../workloads/queue-events/duration.ts";
import type { AuditContext, PlanContext, RevertContext, RunContextBase } from "../core/context.ts";
import type { Leak } from "../../reports/results/scenario-result.ts";
import type { SafetyVerdict } from "../../reports/results/scenario-result.ts";
import type { FaultEvidence, FaultPlan } from "../../reports/results/scenario-result.ts";

export interface FaultSpec<Target, Params> {
  /** Unique within the scenario (defaults to `<type>-<index>`); timeline, journal and report key on it. */
  name: string;
  type: string;
  target: Target;
  params: Params;
  /** For types with `duration: "required"`: how long the fault stays in effect. */
  durationMs?: DurationMs;
  /** How long the effect may take to show before the fault is declared inconclusive. */
  confirmWithinMs: DurationMs;
}




/** Thrown by `inject` when the effect cannot be shown within `confirmWithinMs`: verdict inconclusive. */
export class NoEvidenceError extends Error {
  override name = "NoEvidenceError";
  constructor(
    message: string,
    readonly observations: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Thrown when a fault cannot run on this lab at all (e.g. no Toxiproxy): verdict skipped, not broken. */
export class UnsupportedFaultError extends Error {
  override name = "UnsupportedFaultError";
}

export interface FaultJournal<Action> {
  /** Writes how to undo the next mutation to disk; call BEFORE mutating. */
  record(action: Action, description: string): Promise<void>;
}

/** Everything a plan has (so `inject` can re-plan per iteration), plus the run's mutating ports. */
export interface FaultContext<Action> extends RunContextBase, PlanContext {
  kube: RunContextBase["kube"];
  runId: string;
  spec: FaultSpec<unknown, unknown>;
  journal: FaultJournal<Action>;
  /** Marks the moment the first mutation took effect (the fault window's start). */
  markInjected(detail: string): void;
}

export interface Fault<Action> {
  plan(ctx: PlanContext): Promise<FaultPlan>;
  inject(ctx: FaultContext<Action>): Promise<FaultEvidence>;
  /**
   * For faults with a duration: keeps checking, until `untilMs`, that the effect is still there (a
   * toxic removed behind the harness's back, a broker restarted by someone else). Throws
   * NoEvidenceError when it is gone: a fault that did not last is not reported as effective.
   */
  watch?(ctx: FaultContext<Action>, untilMs: number): Promise<void>;
}

export interface FaultType<Target = unknown, Params = unknown, Action = unknown> {
  type: string;
  summary: string;
  target: z.ZodType<Target>;
  params: z.ZodType<Params>;
  /** `required`: the runner reverts after `duration`; `none`: the fault is instantaneous or self-timed. */
  duration: "required" | "none";
  /**
   * `lab`: the fault hits everything on the lab (a broker down), so its scenario runs alone; `targets`:
   * only the selected targets, so its scenario may share the lab with other such scenarios
   * (`chaoslab run --parallel`); `lane`: every workload on the run's path to Kafka — `targets` where the
   * lab gives each run its own Kafka lane (KafkaNetworkHandles.lanes), `lab` where there is one shared
   * path. Default `lab`: the safe assumption.
   */
  scope?: FaultScope | ((target: Target) => FaultScope);
  revertAction: z.ZodType<Action>;
  create(spec: FaultSpec<Target, Params>): Fault<Action>;
  /** Idempotent: reverting something already reverted succeeds. */
  revert(action: Action, ctx: RevertContext): Promise<void>;
  /** Leaks this type of fault could leave behind, looked for after every scenario whatever ran. */
  audit?(ctx: AuditContext): Promise<Leak[]>;
}

export type FaultScope = "lab" | "targets" | "lane";

/**
 * The scope of one fault entry on a lab: its type's, decided by the entry's target where the type says
 * so; `lane` is `targets` when every run sharing the lab gets a Kafka lane (`lanes`), else `lab`.
 */
export function scopeOf(type: Pick<FaultType, "scope">, target: unknown, lab: { lanes: boolean }): "lab" | "targets" {
  const declared = type.scope ?? "lab";
  const scope = typeof declared === "function" ? declared(target) : declared;
  return scope === "lane" ? (lab.lanes ? "targets" : "lab") : scope;
}

/** Identity helper that keeps a module's types checked while the registry stores them erased. */
export function defineFault<Target, Params, Action>(definition: FaultType<Target, Params, Action>): FaultType<Target, Params, Action> {
  return definition;
}
