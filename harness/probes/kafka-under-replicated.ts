/**
 * `kafka.underReplicated`: at most `max` partitions have fewer in-sync replicas than replicas (and none
 * is offline, unless `allowOffline`). After a broker comes back, "0 within T" is the recovery check.
 *
 *   kafka.underReplicated: {max: 0, within: 2m}
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";

export const kafkaUnderReplicatedProbe = defineProbe({
  kind: "kafka.underReplicated",
  summary: "At most max partitions are under-replicated (ISR smaller than the replica set); none offline.",
  params: z
    .object({
      topics: z.array(z.string().min(1)).min(1).optional().meta({ description: "Only these topics (default: every topic)." }),
      max: z.number().int().min(0).default(0),
      allowOffline: z.boolean().default(false).meta({ description: "Accept partitions without a leader." }),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `under-replicated partitions ≤ ${spec.max}${spec.topics ? ` in ${spec.topics.join(", ")}` : ""}`,
    async sample(ctx) {
      let partitions;
      try {
        partitions = await ctx.kafka.partitions(spec.topics);
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read partition metadata: ${(error as Error).message}` };
      }
      if (partitions.length === 0) return { outcome: "no-data", detail: "no partitions found" };
      const under = partitions.filter((p) => p.isr.length < p.replicas.length);
      const offline = partitions.filter((p) => p.leader < 0);
      const holds = under.length <= spec.max && (spec.allowOffline || offline.length === 0);
      const names = under.slice(0, 5).map((p) => `${p.topic}-${p.partition} isr=[${p.isr.join(",")}]`);
      return {
        outcome: holds ? "ok" : "not-ok",
        value: { underReplicated: under.length, offline: offline.length, partitions: partitions.length },
        detail: `${under.length} under-replicated, ${offline.length} offline of ${partitions.length}${names.length ? ` (${names.join("; ")}${under.length > 5 ? "; ..." : ""})` : ""}`,
      };
    },
  }),
});
