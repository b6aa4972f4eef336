/**
 * `kafka-broker-failure`: stop a broker chosen by role (leader of a partition) or node id — by crash
 * (SIGKILL) or gracefully (SIGTERM) — keep it down for `duration`, then start it again.
 *
 *   - type: kafka-broker-failure
 *     target: {leaderOf: {topic: loader-data, partition: 0}}
 *     params: {shutdown: crash}
 *     duration: 20s
 *
 * Evidence, read from the survivors' metadata: leadership of a partition it led moved away, or it left
 * an ISR it was in, or — when it held no replica — it left the cluster's broker list. Whether the
 * cluster then recovers (no under-replicated partitions within T) is an expectation:
 * `kafka.underReplicated: {max: 0, since: <this fault>, within: 2m}`. The revert starts the broker and
 * waits (bounded) until it is back in the ISR of every partition it holds, so `revertedAt` is "back and
 * caught up".
 */
import { z } from "zod";
import { defineFault, NoEvidenceError } from "./fault.ts";
import { brokerTargetSchema, describeBrokerTarget, selectBrokers } from "./broker-target.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { PartitionState } from "../core/ports.ts";
import type { RevertContext } from "../core/context.ts";
import { KafkaAdminReader } from "../lab/kafka-client.ts";

const POLL_MS = 500;

const revertAction = z.object({ nodeId: z.number().int().min(0) }).strict();

/** Pure: what the survivors' metadata says about the victims, compared with before the kill. */
export function brokerFailureEvidence(
  victims: readonly number[],
  before: readonly PartitionState[],
  after: readonly PartitionState[],
  brokersAfter: readonly number[],
): string[] {
  const evidence: string[] = [];
  for (const victim of victims) {
    for (const old of before) {
      const now = after.find((p) => p.topic === old.topic && p.partition === old.partition);
      if (!now) continue;
      if (old.leader === victim && now.leader !== victim) evidence.push(`${old.topic}-${old.partition}: leader ${victim} → ${now.leader}`);
      else if (old.isr.includes(victim) && !now.isr.includes(victim)) evidence.push(`${old.topic}-${old.partition}: ISR [${old.isr.join(",")}] → [${now.isr.join(",")}]`);
    }
    const heldReplicas = before.some((p) => p.replicas.includes(victim));
    if (!heldReplicas && !brokersAfter.includes(victim)) evidence.push(`broker ${victim} left the cluster metadata`);
  }
  return evidence;
}

/** The quorum leader moved off the victims: that line first, then the partition changes; none if it has not. */
async function controllerMoved(victims: readonly number[], quorumLeader: () => Promise<number>, partitionChanges: string[]): Promise<string[]> {
  const leader = await quorumLeader();
  return victims.includes(leader) ? [] : [`KRaft quorum leader ${victims.join(",")} → ${leader}`, ...partitionChanges];
}

/** A restarted broker replays its log and rejoins every ISR; on the sim that takes seconds, not minutes. */
const CATCH_UP_TIMEOUT_MS = 120_000;

/**
 * "Back" means caught up: the broker is in the ISR of every partition it replicates. Whether that
 * happened in time is for `kafka.underReplicated` expectations to judge, so a timeout here only warns.
 */
export async function waitUntilCaughtUp(nodeId: number, ctx: RevertContext): Promise<void> {
  const own = ctx.kafka ? undefined : new KafkaAdminReader(ctx.lab.description.kafka.bootstrapDirect, "chaoslab-broker-revert");
  const reader = ctx.kafka ?? own!;
  const deadline = ctx.clock.now() + CATCH_UP_TIMEOUT_MS;
  let behind: string[] = [];
  try {
    for (;;) {
      try {
        behind = (await reader.partitions())
          .filter((partition) => partition.replicas.includes(nodeId) && !partition.isr.includes(nodeId))
          .map((partition) => `${partition.topic}-${partition.partition}`);
        if (behind.length === 0) return;
      } catch (error) {
        behind = [`metadata unreadable: ${(error as Error).message}`];
      }
      if (ctx.clock.now() >= deadline) {
        ctx.log.warn(`broker ${nodeId} is running again but not back in the ISR of ${behind.slice(0, 5).join(", ")}${behind.length > 5 ? ", ..." : ""} after ${formatDuration(CATCH_UP_TIMEOUT_MS)}`);
        return;
      }
      await ctx.clock.sleep(POLL_MS, ctx.signal);
    }
  } finally {
    await own?.close();
  }
}

/** How a broker is stopped; kafka-outage stops every broker the same way. */
export const shutdownParams = z
  .object({ shutdown: z.enum(["crash", "graceful"]).default("crash").meta({ description: "crash = SIGKILL; graceful = SIGTERM (controlled shutdown)." }) })
  .strict()
  .prefault({});

export const kafkaBrokerFailureFault = defineFault({
  type: "kafka-broker-failure",
  summary: "Crash (SIGKILL) or gracefully stop a Kafka broker chosen by role or node id; start it again after the duration.",
  target: brokerTargetSchema,
  params: shutdownParams,
  duration: "required",
  revertAction,
  create: (spec) => ({
    async plan(ctx) {
      const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
      return {
        fault: spec.name,
        type: spec.type,
        targets: selection.selected.map((nodeId) => ({ kind: "broker" as const, id: `broker ${nodeId}` })),
        candidates: selection.candidates.length,
        safety: selection.safety,
        notes: [selection.resolution, `${spec.params.shutdown} for ${formatDuration(spec.durationMs ?? 0)}, then started again`],
      };
    },
    async inject(ctx) {
      const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
      if (!selection.safety.ok) throw new SafetyViolationError(spec.name, selection.safety.violations);
      const before = await ctx.kafka.partitions();
      for (const nodeId of selection.selected) {
        await ctx.journal.record({ nodeId }, `start broker ${nodeId} again`);
        await ctx.lab.brokers.kill(nodeId, spec.params.shutdown);
        ctx.markInjected(`broker ${nodeId} stopped (${spec.params.shutdown})`);
      }
      const deadline = ctx.clock.now() + spec.confirmWithinMs;
      let last: string[] = [];
      for (;;) {
        try {
          const after = await ctx.kafka.partitions();
          const brokers = (await ctx.kafka.brokers()).map((broker) => broker.nodeId);
          last = brokerFailureEvidence(selection.selected, before, after, brokers);
          // For the controller role the effect that matters is a new quorum leader: nothing else counts.
          if (spec.target.activeController) last = await controllerMoved(selection.selected, ctx.kafka.quorumLeader!.bind(ctx.kafka), last);
        } catch (error) {
          last = [];
          ctx.log.warn(`reading metadata after stopping broker(s) ${selection.selected.join(", ")}: ${(error as Error).message}`);
        }
        if (last.length > 0) {
          return {
            summary: `${describeBrokerTarget(spec.target)} (${selection.selected.join(", ")}) down: ${last.slice(0, 3).join("; ")}${last.length > 3 ? `; +${last.length - 3} more` : ""}`,
            effectConfirmedAt: ctx.clock.now(),
            observations: { victims: selection.selected, resolution: selection.resolution, changes: last },
          };
        }
        if (ctx.clock.now() >= deadline) {
          throw new NoEvidenceError(
            `broker(s) ${selection.selected.join(", ")} stopped, but after ${formatDuration(spec.confirmWithinMs)} no leadership moved, no ISR shrank, and they are still listed`,
            { victims: selection.selected },
          );
        }
        await ctx.clock.sleep(POLL_MS, ctx.signal);
      }
    },
  }),
  async revert(action, ctx) {
    await ctx.lab.brokers.start(action.nodeId);
    await waitUntilCaughtUp(action.nodeId, ctx);
  },
  async audit(ctx) {
    const brokers = await ctx.lab.brokers.list();
    return brokers
      .filter((broker) => !broker.running)
      .map((broker) => ({ what: `broker ${broker.nodeId} is down`, fix: "run `chaoslab cleanup`, or restart the lab (`chaoslab lab down && chaoslab lab up`)" }));
  },
});
