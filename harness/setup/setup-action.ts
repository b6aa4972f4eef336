/**
 * The setup-action contract: one module per action kind in this folder, registered in `registry.ts`.
 * A setup action creates what the scenario needs (loader Jobs, manifests); before creating anything it
 * journals how to remove it, so teardown — normal, after a failure, or `chaoslab cleanup` after a crash —
 * goes through the same replay as fault reverts.
 */
import type { z } from "zod";
import type { Described, KindEntry } from "../core/kind-entry.ts";
import type { RevertContext, RunContextBase } from "../core/context.ts";

export interface SetupContext<Action> extends RunContextBase {
  journal: { record(action: Action, description: string): Promise<void> };
  /** Labels to put on everything created: the run id (for teardown and the leak audit). */
  runLabels: Record<string, string>;
}

export interface SetupAction<Action> extends Described {
  run(ctx: SetupContext<Action>): Promise<void>;
}

/**
 * `run`: creates only objects named for its own run (several such scenarios may share a lab);
 * `lab`: owns fixed-name, lab-wide objects (e.g. the one queue-manager Rollout), so its scenario runs alone.
 */
export type SetupScope = "run" | "lab";

export interface SetupActionType<Params = unknown, Action = unknown> extends KindEntry {
  /** Default `run`. A function when the entry's params decide it (a canary in its own namespace is `run`). */
  scope?: SetupScope | ((params: Params) => SetupScope);
  params: z.ZodType<Params>;
  revertAction: z.ZodType<Action>;
  create(params: Params): SetupAction<Action>;
  /** Removes what a journaled action created. Idempotent. */
  revert(action: Action, ctx: RevertContext): Promise<void>;
}

export function defineSetupAction<Schema extends z.ZodType, Action>(definition: {
  kind: string;
  summary: string;
  scope?: SetupScope | ((params: z.output<Schema>) => SetupScope);
  params: Schema;
  revertAction: z.ZodType<Action>;
  create(params: z.output<Schema>): SetupAction<Action>;
  revert(action: Action, ctx: RevertContext): Promise<void>;
}): SetupActionType<z.output<Schema>, Action> {
  return definition as unknown as SetupActionType<z.output<Schema>, Action>;
}

/** The scope of one setup entry: its type's, decided by the entry's (parsed) params where the type says so. */
export function setupScopeOf<Params>(type: Pick<SetupActionType<Params>, "scope">, params: Params): SetupScope {
  const scope = type.scope ?? "run";
  return typeof scope === "function" ? scope(params) : scope;
}
