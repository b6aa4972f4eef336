/**
 * What every Toxiproxy fault (network-latency, network-partition, ...) shares: how its toxics are named,
 * planned, added (journaled first) and watched, the journaled action that removes one, the static revert,
 * and the leftover-toxic audit. One place, so a toxic left by any of them is found and removed the same
 * way, from a fresh `chaoslab cleanup` too.
 */
import { z } from "zod";
import type { AuditContext, PlanContext, RevertContext } from "../core/context.ts";
import { SafetyViolationError } from "../core/safety.ts";
import type { FaultEvidence, FaultPlan, Leak } from "../../reports/results/scenario-result.ts";
import { brokerTargetSchema, selectBrokers, type BrokerSelection, type BrokerTarget } from "./broker-target.ts";
import type { BrokerPaths, HostAddress, LabDescription, ToxicDirection, ToxicRef, ToxicSpec } from "../../cluster/provider.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { defineFault, NoEvidenceError, UnsupportedFaultError, type FaultContext, type FaultType } from "./fault.ts";

/** While a toxic fault lasts: its toxics are listed this often (a measurement every few of these). */
const WATCH_POLL_MS = 1_000;

/** The journaled revert of one toxic: everything needed to remove it, nothing from the run's memory. */
export const toxicRevertAction = z.object({ nodeId: z.number().int(), name: z.string().min(1), lane: z.number().int().positive().optional() }).strict();
export type ToxicRevertAction = z.output<typeof toxicRevertAction>;

/** Unique per run, fault and direction; Toxiproxy refuses a second toxic of the same name on a proxy (409). */
export function toxicName(runId: string, fault: string, direction: string): string {
  return `chaoslab-${runId}-${fault}-${direction}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 100);
}

/** `both` is one toxic per direction. */
export function toxicDirections(direction: "both" | ToxicDirection): ToxicDirection[] {
  return direction === "both" ? ["upstream", "downstream"] : [direction];
}

/** Why a toxic fault cannot run on this lab (no Toxiproxy in front of the brokers), or undefined when it can. */
export function noToxiproxy(description: LabDescription): string | undefined {
  if (description.toxiproxy) return undefined;
  return (
    `the ${description.provider} lab has no Toxiproxy in front of the brokers, so there is no workloads' path to put a toxic on. ` +
    "What to do: run it on the sim or kind lab, or on CLUSTER=existing set CHAOSLAB_TOXIPROXY_API and CHAOSLAB_KAFKA_PATHS (README, network faults)."
  );
}

/** One path a toxic fault measures: a targeted broker's workloads path, or a control. */
export interface ToxicPath {
  label: string;
  address: HostAddress;
  nodeId: number;
  /** The fault's toxic is on this path; the others are controls that must stay as they were. */
  targeted: boolean;
}

/** The targeted paths and, as controls, the same brokers' direct paths and every other broker's workloads path. */
function toxicPaths(selected: readonly number[], reachable: readonly BrokerPaths[]): ToxicPath[] {
  const paths: ToxicPath[] = [];
  for (const nodeId of selected) {
    const broker = reachable.find((candidate) => candidate.nodeId === nodeId);
    if (!broker) throw new Error(`the lab publishes no path to broker ${nodeId} (brokers with paths: ${reachable.map((b) => b.nodeId).join(", ") || "none"})`);
    paths.push({ label: `workloads→${nodeId}`, address: broker.workloads, nodeId, targeted: true });
    paths.push({ label: `direct→${nodeId}`, address: broker.direct, nodeId, targeted: false });
  }
  for (const broker of reachable) {
    if (!selected.includes(broker.nodeId)) paths.push({ label: `workloads→${broker.nodeId}`, address: broker.workloads, nodeId: broker.nodeId, targeted: false });
  }
  return paths;
}

export type RoundTrip = { answered: true; ms: number } | { answered: false; error: string };

/** One Kafka round trip on a fresh connection; an error or no answer within `timeoutMs` is a failed one. */
export async function roundTrip(address: HostAddress, ctx: Pick<FaultContext<unknown>, "rtt" | "signal">, timeoutMs: number): Promise<RoundTrip> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const [ms] = await ctx.rtt.measure(address, 1, AbortSignal.any([ctx.signal, timeout]));
    return { answered: true, ms: ms ?? Number.NaN };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    return { answered: false, error: timeout.aborted ? `no answer within ${formatDuration(timeoutMs)}` : (error as Error).message };
  }
}

/**
 * Where a toxic fault's inject starts: skipped (UnsupportedFaultError) without Toxiproxy, refused when the
 * chosen brokers break the safety policy, else the chosen brokers and the paths to measure (targeted and
 * controls), as the lab publishes them — before anything is touched.
 */
export async function targetPaths(spec: { name: string; target: BrokerTarget }, ctx: FaultContext<unknown>): Promise<{ selected: number[]; paths: ToxicPath[] }> {
  const unsupported = noToxiproxy(ctx.description);
  if (unsupported) throw new UnsupportedFaultError(unsupported);
  const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
  if (!selection.safety.ok) throw new SafetyViolationError(spec.name, selection.safety.violations);
  return { selected: selection.selected, paths: toxicPaths(selection.selected, await ctx.brokerPaths()) };
}

/** A toxic fault's plan (`proxyPlan`), with `will be skipped: <why>` last where the lab has no Toxiproxy. */
export async function toxicFaultPlan(spec: { name: string; type: string; target: BrokerTarget }, ctx: PlanContext, notes: string[]): Promise<FaultPlan> {
  const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
  const reachable = await ctx.brokerPaths().catch(() => [] as BrokerPaths[]);
  const unsupported = noToxiproxy(ctx.description);
  return proxyPlan(spec, selection, reachable, [...notes, ...(unsupported ? [`will be skipped: ${unsupported}`] : [])]);
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
  const lane = ctx.lab.network.lane;
  for (const direction of toxics.directions) {
    const name = toxicName(ctx.runId, toxics.fault, direction);
    const note = toxics.note ? ` (${toxics.note(direction)})` : "";
    for (const nodeId of toxics.nodeIds) {
      await ctx.journal.record({ nodeId, name, ...(lane === undefined ? {} : { lane }) }, `remove toxic ${name}${note} from ${proxyOf({ nodeId, lane })}`);
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

/**
 * A toxic fault's `watch`: until `untilMs`, the toxic list every second (a toxic gone is inconclusive at
 * once) and the fault's own `measure` every `measureEvery`-th check — it costs requests to the brokers,
 * the toxic list costs nothing. `measure` throws NoEvidenceError when the effect is gone.
 */
export async function watchToxics(
  ctx: Pick<FaultContext<unknown>, "lab" | "clock" | "signal">,
  watched: { refs: readonly ToxicRef[]; durationMs: number | undefined; untilMs: number; measureEvery: number; measure(): Promise<void> },
): Promise<void> {
  for (let check = 1; ctx.clock.now() < watched.untilMs; check++) {
    await expectToxicsPresent(ctx, watched.refs, watched.durationMs);
    if (check % watched.measureEvery === 0) await watched.measure();
    await ctx.clock.sleep(Math.min(WATCH_POLL_MS, Math.max(0, watched.untilMs - ctx.clock.now())), ctx.signal);
  }
}

/**
 * A toxic fault's proof after its toxics are added: `look` every 500 ms until it returns the evidence, or
 * until `withinMs` has passed — then what the last look found missing is the verdict (inconclusive). A
 * toxic acts at once; the repeats are for a look that hit a scheduling stall on the lab's shared cores.
 */
export async function confirmWithin(ctx: Pick<FaultContext<unknown>, "clock" | "signal">, withinMs: number, look: () => Promise<FaultEvidence | NoEvidenceError>): Promise<FaultEvidence> {
  const deadline = ctx.clock.now() + withinMs;
  for (;;) {
    const seen = await look();
    if (!(seen instanceof NoEvidenceError)) return seen;
    if (ctx.clock.now() >= deadline) throw seen;
    await ctx.clock.sleep(500, ctx.signal);
  }
}

/** Idempotent: a toxic that is already gone (reverted before, removed by hand) is success. */
export async function removeToxic(action: ToxicRevertAction, ctx: RevertContext): Promise<void> {
  const present = await ctx.lab.network.listToxics();
  if (!present.some((ref) => ref.nodeId === action.nodeId && ref.name === action.name && ref.lane === action.lane)) return;
  await ctx.lab.network.removeToxic(action);
}

/** "broker 2's workloads proxy", "broker 2's workloads proxy on Kafka lane 3". */
function proxyOf(ref: Pick<ToxicRef, "nodeId" | "lane">): string {
  return `broker ${ref.nodeId}'s workloads proxy${ref.lane === undefined ? "" : ` on Kafka lane ${ref.lane}`}`;
}

/**
 * Every toxic on the workloads' proxies is a leak after a scenario, whichever fault (or person) added it:
 * the lab's proxies carry none at rest. Each Toxiproxy fault type reports through this, so the leaks
 * read the same; the engine counts one leak once however many types saw it. A run on a Kafka lane
 * audits its lane's proxies only (its lab's network handles are bound to the lane): the other lanes
 * belong to runs still going.
 */
export async function leftoverToxics(ctx: AuditContext): Promise<Leak[]> {
  const toxics = await ctx.lab.network.listToxics();
  return toxics.map((ref) => ({
    what: `toxic ${ref.name} on ${proxyOf(ref)}`,
    fix: `run \`chaoslab cleanup\`, or DELETE /proxies/<that proxy>/toxics/${ref.name} on the Toxiproxy API`,
  }));
}

/**
 * A fault made of toxics on the workloads' paths to chosen brokers: broker targets, a duration, one
 * toxic per journal entry, and the shared revert and audit. A module gives only what is its own.
 */
export function defineToxicFault<Params>(
  own: Pick<FaultType<BrokerTarget, Params, ToxicRevertAction>, "type" | "summary" | "params" | "create">,
): FaultType<BrokerTarget, Params, ToxicRevertAction> {
  // `lane`: on a lab with Kafka lanes the toxics go on the run's lane only (KafkaNetworkHandles.lanes).
  return defineFault({ ...own, target: brokerTargetSchema, duration: "required", scope: "lane", revertAction: toxicRevertAction, revert: removeToxic, audit: leftoverToxics });
}
