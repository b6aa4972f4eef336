/**
 * What every Toxiproxy fault (network-latency, network-partition, ...) shares: how its toxics are named,
 * planned, added (journaled first) and watched, the journaled action that removes one, the static revert,
 * and the leftover-toxic audit. One place, so a toxic left by any of them is found and removed the same
 * way, from a fresh `chaoslab cleanup` too.
 */
import { z } from "zod";
import type { AuditContext, RevertContext } from "../core/context.ts";
import type { FaultPlan, Leak } from "../../reports/results/scenario-result.ts";
import { brokerTargetSchema, type BrokerSelection, type BrokerTarget } from "./broker-target.ts";
import type { BrokerPaths, ToxicDirection, ToxicRef, ToxicSpec } from "../../cluster/provider.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { defineFault, NoEvidenceError, type FaultContext, type FaultType } from "./fault.ts";

/** The journaled revert of one toxic: everything needed to remove it, nothing from the run's memory. */
export const toxicRevertAction = z.object({ nodeId: z.number().int(), name: z.string().min(1) }).strict();
export type ToxicRevertAction = z.output<typeof toxicRevertAction>;

/** Unique per run, fault and direction; Toxiproxy refuses a second toxic of the same name on a proxy (409). */
export function toxicName(runId: string, fault: string, direction: string): string {
  return `chaoslab-${runId}-${fault}-${direction}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 100);
}

/** `both` is one toxic per direction. */
export function toxicDirections(direction: "both" | ToxicDirection): ToxicDirection[] {
  return direction === "both" ? ["upstream", "downstream"] : [direction];
}

/**
 * A toxic fault's plan: each chosen broker's workloads proxy (with its address where the lab publishes
 * one), the selection's safety verdict, and as notes how the brokers were chosen, then `notes`.
 */
export function proxyPlan(spec: { name: string; type: string }, selection: BrokerSelection, reachable: readonly BrokerPaths[], notes: string[]): FaultPlan {
  return {
    fault: spec.name,
    type: spec.type,
    targets: selection.selected.map((nodeId) => {
      const paths = reachable.find((broker) => broker.nodeId === nodeId);
      return { kind: "proxy" as const, id: `workloads → broker ${nodeId}${paths ? ` (${paths.workloads.host}:${paths.workloads.port})` : ""}` };
    }),
    candidates: selection.candidates.length,
    safety: selection.safety,
    notes: [selection.resolution, ...notes],
  };
}

/**
 * Adds one toxic per direction on the chosen brokers' workloads proxies, each journaled before it
 * exists (so a crash mid-way leaves nothing `chaoslab cleanup` cannot remove). `refs` collects what was
 * added as it goes. `note` tells the journal which fault a toxic belongs to, where its name does not.
 */
export async function addToxics(
  ctx: Pick<FaultContext<ToxicRevertAction>, "runId" | "journal" | "lab" | "markInjected">,
  toxics: { fault: string; nodeIds: number[]; directions: readonly ToxicDirection[]; spec(direction: ToxicDirection): ToxicSpec; note?(direction: ToxicDirection): string },
  refs: ToxicRef[],
): Promise<void> {
  for (const direction of toxics.directions) {
    const name = toxicName(ctx.runId, toxics.fault, direction);
    const note = toxics.note ? ` (${toxics.note(direction)})` : "";
    for (const nodeId of toxics.nodeIds) {
      await ctx.journal.record({ nodeId, name }, `remove toxic ${name}${note} from broker ${nodeId}'s workloads proxy`);
    }
    refs.push(...(await ctx.lab.network.addToxic(toxics.nodeIds, name, toxics.spec(direction))));
    if (refs.length > 0) ctx.markInjected(`toxic ${name} on broker(s) ${toxics.nodeIds.join(", ")}`);
  }
}

/** For `watch`: a toxic removed behind the harness's back makes the fault inconclusive, never "effective". */
export async function expectToxicsPresent(ctx: Pick<FaultContext<unknown>, "lab">, refs: readonly ToxicRef[], durationMs: number | undefined): Promise<void> {
  const present = await ctx.lab.network.listToxics();
  const missing = refs.filter((ref) => !present.some((toxic) => toxic.nodeId === ref.nodeId && toxic.name === ref.name));
  if (missing.length > 0) {
    throw new NoEvidenceError(
      `toxic(s) ${missing.map((ref) => `${ref.name} on broker ${ref.nodeId}`).join(", ")} disappeared before the fault's ${formatDuration(durationMs ?? 0)} were over`,
      { missing, present },
    );
  }
}

/** Idempotent: a toxic that is already gone (reverted before, removed by hand) is success. */
export async function removeToxic(action: ToxicRevertAction, ctx: RevertContext): Promise<void> {
  const present = await ctx.lab.network.listToxics();
  if (!present.some((ref) => ref.nodeId === action.nodeId && ref.name === action.name)) return;
  await ctx.lab.network.removeToxic(action);
}

/**
 * Every toxic on the workloads' proxies is a leak after a scenario, whichever fault (or person) added it:
 * the lab's proxies carry none at rest. Each Toxiproxy fault type reports through this, so the leaks
 * read the same; the engine counts one leak once however many types saw it.
 */
export async function leftoverToxics(ctx: AuditContext): Promise<Leak[]> {
  const toxics = await ctx.lab.network.listToxics();
  return toxics.map((ref) => ({
    what: `toxic ${ref.name} on broker ${ref.nodeId}'s workloads proxy`,
    fix: `run \`chaoslab cleanup\`, or DELETE /proxies/<proxy of broker ${ref.nodeId}>/toxics/${ref.name} on the Toxiproxy API`,
  }));
}

/**
 * A fault made of toxics on the workloads' paths to chosen brokers: broker targets, a duration, one
 * toxic per journal entry, and the shared revert and audit. A module gives only what is its own.
 */
export function defineToxicFault<Params>(
  own: Pick<FaultType<BrokerTarget, Params, ToxicRevertAction>, "type" | "summary" | "params" | "create">,
): FaultType<BrokerTarget, Params, ToxicRevertAction> {
  return defineFault({ ...own, target: brokerTargetSchema, duration: "required", revertAction: toxicRevertAction, revert: removeToxic, audit: leftoverToxics });
}
