import { describe, expect, it } from "vitest";
import { loadSnapshot, REVISION_1_HASH } from "./fixtures/snapshot-fixtures.ts";
import type { RolloutReader } from "./rollout-snapshot.ts";
import { rolloutIs, waitForRollout } from "./wait-for-rollout.ts";

const target = { namespace: "streamforge", name: "queue-manager" };

/** A reader whose Rollout is Progressing for `progressingReads` reads, then as recorded (aborted). */
function readerAbortingAfter(progressingReads: number, failFirst = false): RolloutReader & { reads: number } {
  const recorded = loadSnapshot("rolled-back");
  const reader = {
    reads: 0,
    async getRollout() {
      reader.reads += 1;
      if (failFirst && reader.reads === 1) throw new Error("etcdserver: request timed out");
      const rollout = structuredClone(recorded.rollout);
      if (reader.reads <= progressingReads) Object.assign(rollout.status!, { abort: false, phase: "Progressing", conditions: [] });
      return rollout;
    },
    listAnalysisRuns: async () => recorded.analysisRuns,
    listReplicaSets: async () => recorded.replicaSets,
    listPods: async () => recorded.pods,
    listEndpointSlices: async (_: string, service: string) => recorded.endpointSlices[service] ?? [],
  };
  return reader;
}

describe("waitForRollout", () => {
  it("polls until the Rollout is aborted and hands back that snapshot", async () => {
    const reader = readerAbortingAfter(2);
    const seen: string[] = [];
    const result = await waitForRollout(reader, target, rolloutIs.aborted(), {
      timeoutMs: 2_000,
      intervalMs: 5,
      onSnapshot: (snapshot) => seen.push(snapshot.rollout.status?.phase ?? ""),
    });
    expect(result.met).toBe(true);
    expect(seen).toEqual(["Progressing", "Progressing", "Degraded"]);
  });

  it("revision N is Healthy on one revision after a promotion, not in the middle of an aborted canary", () => {
    expect(rolloutIs.healthyOnOneRevision()(loadSnapshot("promoted"))).toBe(true);
    expect(rolloutIs.healthyOnOneRevision()(loadSnapshot("rolled-back"))).toBe(false);
  });

  it("keeps polling through a failed read", async () => {
    const result = await waitForRollout(readerAbortingAfter(0, true), target, rolloutIs.aborted(), { timeoutMs: 2_000, intervalMs: 5 });
    expect(result.met).toBe(true);
  });

  it("times out with the last snapshot it saw", async () => {
    const result = await waitForRollout(readerAbortingAfter(1_000), target, rolloutIs.promotedFrom(REVISION_1_HASH), { timeoutMs: 60, intervalMs: 10 });
    expect(result.met).toBe(false);
    expect(result.snapshot?.rollout.status?.phase).toBe("Progressing");
  });
});
