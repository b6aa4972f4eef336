/**
 * `kafka.lag`: a consumer group's total lag is at most `max`.
 *
 *   kafka.lag: {group: arango-connector, max: 1000}
 *
 * As an expectation with `within`, the recovery moment is the drain time: when lag came back under
 * `max` after the fault. A group with no committed offsets at all is "no data", not zero lag.
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";

export const kafkaLagProbe = defineProbe({
  kind: "kafka.lag",
  summary: "A consumer group's total lag (log end − committed, over its partitions) is at most max.",
  params: z
    .object({
      group: z.string().min(1).meta({ description: "Consumer group id.", examples: ["arango-connector"] }),
      topics: z.array(z.string().min(1)).min(1).optional().meta({ description: "Only these topics (default: every topic the group committed on)." }),
      max: z.number().int().min(0).meta({ description: "Largest acceptable total lag, in records." }),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `lag of group ${spec.group} ≤ ${spec.max}`,
    async sample(ctx) {
      let lag;
      try {
        lag = await ctx.kafka.groupLag(spec.group, spec.topics);
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read offsets of group ${spec.group}: ${(error as Error).message}` };
      }
      if (!lag) return { outcome: "no-data", detail: `group ${spec.group} has no committed offsets` };
      return {
        outcome: lag.total <= spec.max ? "ok" : "not-ok",
        value: { total: lag.total, partitions: lag.partitions.length },
        detail: `lag ${lag.total} ${lag.total <= spec.max ? "≤" : ">"} max ${spec.max}`,
      };
    },
  }),
});
