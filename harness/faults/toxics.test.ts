import { describe, expect, it } from "vitest";
import type { KafkaNetworkHandles, StartedLab, ToxicRef, ToxicSpec } from "../../cluster/provider.ts";
import { silentLog } from "../core/context.ts";
import { systemClock } from "../core/clock.ts";
import { addToxics, leftoverToxics, removeToxic, toxicRevertAction, type ToxicRevertAction } from "./toxics.ts";

/** Network handles in memory, bound to `lane` (undefined: the shared path); refs carry the lane as the real ones do. */
function handles(lane: number | undefined, toxics: ToxicRef[] = []): KafkaNetworkHandles & { toxics: ToxicRef[] } {
  const mine = (ref: ToxicRef) => ref.lane === lane;
  return {
    lane,
    toxics,
    addToxic: async (nodeIds: number[], name: string, _spec: ToxicSpec) => {
      const refs = nodeIds.map((nodeId) => ({ nodeId, name, ...(lane === undefined ? {} : { lane }) }));
      toxics.push(...refs);
      return refs;
    },
    removeToxic: async (ref: ToxicRef) => {
      const index = toxics.findIndex((toxic) => toxic.nodeId === ref.nodeId && toxic.name === ref.name && toxic.lane === (ref.lane ?? lane));
      if (index >= 0) toxics.splice(index, 1);
    },
    listToxics: async () => toxics.filter(mine),
    brokerPaths: async () => [],
  };
}
const labWith = (network: KafkaNetworkHandles) => ({ network }) as unknown as StartedLab;

describe("toxics on a Kafka lane", () => {
  it("journals the lane with each toxic, so a fresh `chaoslab cleanup` finds it; the revert removes that lane's toxic only", async () => {
    const shared: ToxicRef[] = [];
    const lane3 = handles(3, shared);
    const journal: { action: ToxicRevertAction; description: string }[] = [];
    const refs: ToxicRef[] = [];
    await addToxics(
      { runId: "r1", lab: labWith(lane3), journal: { record: async (action, description) => void journal.push({ action, description }) }, markInjected: () => undefined },
      { fault: "slow", nodeIds: [1, 2], directions: ["downstream"], spec: (direction) => ({ kind: "latency", latencyMs: 100, jitterMs: 0, direction }) },
      refs,
    );
    expect(journal).toEqual([
      { action: { nodeId: 1, name: "chaoslab-r1-slow-downstream", lane: 3 }, description: "remove toxic chaoslab-r1-slow-downstream from broker 1's workloads proxy on Kafka lane 3" },
      { action: { nodeId: 2, name: "chaoslab-r1-slow-downstream", lane: 3 }, description: "remove toxic chaoslab-r1-slow-downstream from broker 2's workloads proxy on Kafka lane 3" },
    ]);
    for (const entry of journal) expect(toxicRevertAction.parse(entry.action)).toEqual(entry.action);
    // The same name on the shared path (another run's, say) is not this action's.
    shared.push({ nodeId: 1, name: "chaoslab-r1-slow-downstream" });
    const labWide = handles(undefined, shared);
    labWide.listToxics = async () => [...shared];
    await removeToxic(journal[0]!.action, { lab: labWith(labWide), kube: undefined as never, clock: systemClock, log: silentLog });
    expect(shared).toEqual([{ nodeId: 2, name: "chaoslab-r1-slow-downstream", lane: 3 }, { nodeId: 1, name: "chaoslab-r1-slow-downstream" }]);
  });

  it("a run's leak audit reads its own lane: another lane's live toxic is not its leak", async () => {
    const toxics: ToxicRef[] = [{ nodeId: 1, name: "chaoslab-other-run", lane: 1 }, { nodeId: 2, name: "chaoslab-left", lane: 2 }];
    const leaks = await leftoverToxics({ lab: labWith(handles(2, toxics)), kube: undefined as never, namespaces: [] });
    expect(leaks).toEqual([{ what: "toxic chaoslab-left on broker 2's workloads proxy on Kafka lane 2", fix: expect.stringContaining("chaoslab cleanup") }]);
  });
});
