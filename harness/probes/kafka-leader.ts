/**
 * `kafka.leader`: who leads a partition — `is` a given broker, or `isNot` one (leadership moved away).
 *
 *   kafka.leader: {topic: loader-data, partition: 0, isNot: 2}
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";

export const kafkaLeaderProbe = defineProbe({
  kind: "kafka.leader",
  summary: "A partition's leader is (or is not) a given broker, and the partition is online.",
  params: z
    .object({
      topic: z.string().min(1),
      partition: z.number().int().min(0).default(0),
      is: z.number().int().min(0).optional(),
      isNot: z.number().int().min(0).optional(),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `leader of ${spec.topic}-${spec.partition}${spec.is !== undefined ? ` is ${spec.is}` : ""}${spec.isNot !== undefined ? ` is not ${spec.isNot}` : ""}`,
    async sample(ctx) {
      let partitions;
      try {
        partitions = await ctx.kafka.partitions([spec.topic]);
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read metadata of ${spec.topic}: ${(error as Error).message}` };
      }
      const found = partitions.find((p) => p.partition === spec.partition);
      if (!found) return { outcome: "no-data", detail: `partition ${spec.topic}-${spec.partition} not found` };
      const holds =
        found.leader >= 0 && (spec.is === undefined || found.leader === spec.is) && (spec.isNot === undefined || found.leader !== spec.isNot);
      return { outcome: holds ? "ok" : "not-ok", value: { leader: found.leader, isr: found.isr }, detail: `leader ${found.leader}, isr [${found.isr.join(",")}]` };
    },
  }),
});
