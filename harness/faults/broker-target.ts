/**
 * Broker targets shared by Kafka faults: by node id, or by role — the leader of a topic's partition, or
 * the active controller (the KRaft quorum leader) — resolved through the Kafka APIs at the moment of the
 * fault, not at random by default.
 *
 * The active controller is asked with DescribeQuorum (lab/kafka-quorum.ts): the "controller" kafkajs'
 * metadata returns is a random broker under KRaft. In the lab's combined mode every controller is also
 * a broker, so stopping the quorum leader is stopping that broker.
 */
import { z } from "zod";
import { checkSafety } from "../core/safety.ts";
import type { SafetyVerdict } from "../../reports/results/scenario-result.ts";
import { checkSelection, selectionShape, selectTargets, type Selection } from "../core/selection.ts";
import type { PlanContext } from "../core/context.ts";

export const brokerTargetSchema = z
  .object({
    nodeIds: z.array(z.number().int().min(0)).min(1).optional().meta({ description: "Candidate brokers by node id." }),
    leaderOf: z
      .object({ topic: z.string().min(1), partition: z.number().int().min(0).default(0) })
      .strict()
      .optional()
      .meta({ description: "The broker that leads this partition when the fault starts." }),
    activeController: z.literal(true).optional().meta({ description: "The KRaft quorum leader (active controller) when the fault starts." }),
    all: z.literal(true).optional().meta({ description: "Every broker is a candidate (narrowed by mode)." }),
    ...selectionShape,
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = [value.nodeIds, value.leaderOf, value.activeController, value.all].filter((field) => field !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: "custom", path: [], message: "give exactly one of nodeIds, leaderOf, activeController or all" });
    checkSelection(value, ctx);
  });

export type BrokerTarget = z.output<typeof brokerTargetSchema>;

export function describeBrokerTarget(target: BrokerTarget): string {
  if (target.leaderOf) return `leader of ${target.leaderOf.topic}-${target.leaderOf.partition}`;
  if (target.nodeIds) return `brokers ${target.nodeIds.join(", ")}`;
  if (target.activeController) return "the active controller";
  return "all brokers";
}

export interface BrokerSelection {
  candidates: number[];
  selected: number[];
  safety: SafetyVerdict;
  /** How the role was resolved, for the plan: `leader of loader-data-0 is 2`. */
  resolution: string;
}

export async function selectBrokers(
  target: BrokerTarget,
  ctx: Pick<PlanContext, "kafka" | "description" | "safety">,
  rng: ReturnType<PlanContext["rng"]>,
): Promise<BrokerSelection> {
  const known = ctx.description.kafka.nodeIds;
  let candidates: number[];
  let resolution: string;
  if (target.leaderOf) {
    const { topic, partition } = target.leaderOf;
    const state = (await ctx.kafka.partitions([topic])).find((p) => p.partition === partition);
    if (!state) throw new Error(`partition ${topic}-${partition} does not exist`);
    if (state.leader < 0) throw new Error(`partition ${topic}-${partition} has no leader right now`);
    candidates = [state.leader];
    resolution = `leader of ${topic}-${partition} is broker ${state.leader}`;
  } else if (target.activeController) {
    if (!ctx.kafka.quorumLeader) throw new Error("this lab's Kafka reader cannot ask who leads the KRaft quorum (DescribeQuorum)");
    const leader = await ctx.kafka.quorumLeader();
    if (!known.includes(leader)) throw new Error(`the KRaft quorum leader is node ${leader}, which is not one of the lab's brokers (${known.join(", ")})`);
    candidates = [leader];
    resolution = `active controller (KRaft quorum leader) is broker ${leader}`;
  } else if (target.nodeIds) {
    const unknown = target.nodeIds.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new Error(`no broker with node id ${unknown.join(", ")} (the lab has ${known.join(", ")})`);
    candidates = [...target.nodeIds];
    resolution = `brokers ${candidates.join(", ")}`;
  } else {
    candidates = [...known];
    resolution = `all brokers (${known.join(", ")})`;
  }
  const selected = selectTargets(candidates, target as Selection, rng, (id) => String(id).padStart(6, "0"));
  // The percentage cap is over the whole cluster: killing the only candidate of `leaderOf` is 1 of 3.
  const safety = checkSafety(selected.map((id) => ({ label: `broker ${id}` })), known.length, ctx.safety);
  return { candidates, selected, safety, resolution };
}
