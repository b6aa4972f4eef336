/**
 * `kafka.ledger`: what the loaders say Kafka acknowledged (topic `loader-ledger`) versus what a consumer
 * of `loader-data` reads — lost, duplicated and reordered (per-key order violations) counted separately
 * (workloads/ledger/compute.ts defines each).
 *
 *   kafka.ledger: {lost: 0, duplicated: 0, reordered: 0}
 *
 * Holds only when the reader has caught up with both topics and (by default) every task in scope has
 * completed: judged earlier, a loss could still happen or an acknowledgement could still be unread.
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";
import { computeLedgerFromRecords, foldLedgerRecords, type LedgerSummary } from "../../workloads/ledger/compute.ts";
import { LEDGER_FEED_KEY, type LedgerFeed } from "./ledger/ledger-feed.ts";
import type { ProbeContext } from "./probe.ts";

async function ledgerFeed(ctx: ProbeContext): Promise<LedgerFeed> {
  return ctx.shared.get(LEDGER_FEED_KEY, async () => {
    const { createKafkaLedgerFeed } = await import("./ledger/kafka-ledger-feed.ts");
    return createKafkaLedgerFeed({ brokers: ctx.description.kafka.bootstrapDirect, runStartedAt: ctx.runStartedAt });
  });
}

export const kafkaLedgerProbe = defineProbe({
  kind: "kafka.ledger",
  summary: "Acknowledged vs consumed loader records: lost, duplicated and reordered within bounds.",
  params: z
    .object({
      lost: z.number().int().min(0).default(0).meta({ description: "Most acknowledged records allowed missing from loader-data." }),
      duplicated: z.number().int().min(0).optional().meta({ description: "Most extra copies allowed (default: not checked; at-least-once may duplicate)." }),
      reordered: z.number().int().min(0).optional().meta({ description: "Most records allowed out of their writer's order within a partition (default: not checked)." }),
      tasks: z.array(z.string().min(1)).min(1).optional().meta({ description: "Task ids in scope (default: the tasks this run's setup created, else every task with a ledger record since the run started)." }),
      requireComplete: z.boolean().default(true).meta({ description: "Hold only once every task in scope reports complete." }),
      minAcked: z.number().int().min(0).default(1).meta({ description: "At least this many acknowledged records, so an empty ledger is no data, not a pass." }),
    })
    .strict(),
  ledger: (value) => {
    const summary = value as Partial<LedgerSummary> | undefined;
    if (!summary || typeof summary.lost !== "number") return undefined;
    const { produced = 0, acked = 0, consumed = 0, lost, duplicated = 0, reordered = 0 } = summary;
    return { produced, acked, consumed, lost, duplicated, reordered };
  },
  create: (spec) => ({
    describe: () =>
      `ledger lost ≤ ${spec.lost}${spec.duplicated !== undefined ? `, duplicated ≤ ${spec.duplicated}` : ""}${spec.reordered !== undefined ? `, reordered ≤ ${spec.reordered}` : ""}`,
    async sample(ctx) {
      let snapshot;
      try {
        snapshot = await (await ledgerFeed(ctx)).snapshot();
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read the ledger topics: ${(error as Error).message}` };
      }
      if (!snapshot.caughtUp) return { outcome: "no-data", detail: `ledger reader not caught up (${snapshot.detail})` };
      // Default scope: the run's own tasks; on a shared lab other loaders write the same topics.
      const runTasks = ctx.names.created();
      const scope = spec.tasks?.map((task) => ctx.names.resolve(task)) ?? (runTasks.length > 0 ? runTasks : undefined);
      const summary = computeLedgerFromRecords(snapshot.records, snapshot.consumed, scope);
      const { tasks, ...totals } = summary;
      const value = { ...totals, invalidRecords: totals.invalidRecords + snapshot.invalidRecords };
      if (summary.acked < spec.minAcked) {
        return { outcome: "no-data", value, detail: `only ${summary.acked} acknowledged record(s) in scope (need ${spec.minAcked})` };
      }
      if (spec.requireComplete) {
        const folded = foldLedgerRecords(snapshot.records);
        const incomplete = Object.keys(tasks).filter((taskId) => !folded.get(taskId)?.complete);
        if (incomplete.length > 0) {
          return { outcome: "not-ok", value, detail: `tasks not complete yet: ${incomplete.slice(0, 5).join(", ")}${incomplete.length > 5 ? ", ..." : ""}` };
        }
      }
      const evidence = (count: "lost" | "reordered", ranges: "lostRanges" | "reorderedRanges") => {
        const perTask = Object.entries(tasks).filter(([, task]) => task[count] > 0).map(([taskId, task]) => `${taskId}: ${task[ranges]}`);
        return perTask.length ? ` (${count} ${perTask.slice(0, 3).join("; ")})` : "";
      };
      const holds =
        summary.lost <= spec.lost &&
        (spec.duplicated === undefined || summary.duplicated <= spec.duplicated) &&
        (spec.reordered === undefined || summary.reordered <= spec.reordered);
      return {
        outcome: holds ? "ok" : "not-ok",
        value,
        detail: `acked ${summary.acked}, consumed ${summary.consumed}, lost ${summary.lost}, duplicated ${summary.duplicated}, reordered ${summary.reordered}${evidence("lost", "lostRanges")}${evidence("reordered", "reorderedRanges")}`,
      };
    },
  }),
});
