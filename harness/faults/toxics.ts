/**
 * What every Toxiproxy fault (network-latency, network-partition, ...) shares: how its toxics are named,
 * the journaled action that removes one, the static revert, and the leftover-toxic audit. One place, so
 * a toxic left by any of them is found and removed the same way, from a fresh `chaoslab cleanup` too.
 */
import { z } from "zod";
import type { AuditContext, RevertContext } from "../core/context.ts";
import type { Leak } from "../../reports/results/scenario-result.ts";

/** The journaled revert of one toxic: everything needed to remove it, nothing from the run's memory. */
export const toxicRevertAction = z.object({ nodeId: z.number().int(), name: z.string().min(1) }).strict();
export type ToxicRevertAction = z.output<typeof toxicRevertAction>;

/** Unique per run, fault and direction; Toxiproxy refuses a second toxic of the same name on a proxy (409). */
export function toxicName(runId: string, fault: string, direction: string): string {
  return `chaoslab-${runId}-${fault}-${direction}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 100);
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
