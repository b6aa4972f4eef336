import { describe, expect, it } from "vitest";
import type { AnalysisRun, ReplicaSet } from "./argo-rollouts-types.ts";
import { fakeKubeReader } from "./fixtures/fake-kube-reader.ts";
import { loadSnapshot, REVISION_2_HASH } from "./fixtures/snapshot-fixtures.ts";
import { collectRolloutSnapshot, findStepAnalysisRun, kubeReaderRolloutReader } from "./rollout-snapshot.ts";

const target = { namespace: "streamforge", name: "queue-manager", services: ["queue-manager"] };

describe("collectRolloutSnapshot", () => {
  it("reads the Rollout, what it owns, its pods and the endpoints of its Services as plain JSON", async () => {
    const recorded = loadSnapshot("rolled-back");
    const snapshot = await collectRolloutSnapshot(kubeReaderRolloutReader(fakeKubeReader(recorded)), target, () => new Date("2025-11-24T10:02:41.512Z"));
    expect(snapshot.collectedAt).toBe("2025-11-24T10:02:41.512Z");
    expect(snapshot.rollout.status?.stableRS).toBe(recorded.rollout.status?.stableRS);
    expect(snapshot.analysisRuns.map((run) => run.metadata.name)).toEqual([`queue-manager-${REVISION_2_HASH}-2-1`]);
    expect(snapshot.replicaSets).toHaveLength(2);
    expect(snapshot.pods).toHaveLength(10);
    expect(Object.keys(snapshot.endpointSlices)).toEqual(["queue-manager", "queue-manager-stable", "queue-manager-canary"]);
    // The client's Dates come back as the strings a recorded snapshot holds.
    expect(typeof snapshot.replicaSets[0]!.metadata.creationTimestamp).toBe("string");
  });

  it("keeps only AnalysisRuns and ReplicaSets the Rollout controls", async () => {
    const recorded = loadSnapshot("rolled-back");
    const stranger = { uid: "someone-else", controller: true, apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "other" };
    const foreignRun: AnalysisRun = { ...structuredClone(recorded.analysisRuns[0]!), metadata: { ...recorded.analysisRuns[0]!.metadata, name: "other-run", ownerReferences: [stranger] } };
    const foreignReplicaSet: ReplicaSet = { ...structuredClone(recorded.replicaSets[0]!), metadata: { ...recorded.replicaSets[0]!.metadata, name: "other-rs", ownerReferences: [stranger] } };
    recorded.analysisRuns.push(foreignRun);
    recorded.replicaSets.push(foreignReplicaSet);
    const snapshot = await collectRolloutSnapshot(kubeReaderRolloutReader(fakeKubeReader(recorded)), target);
    expect(snapshot.analysisRuns.map((run) => run.metadata.name)).not.toContain("other-run");
    expect(snapshot.replicaSets.map((replicaSet) => replicaSet.metadata.name)).not.toContain("other-rs");
  });

  it("says what to do when the Rollout does not exist", async () => {
    const reader = kubeReaderRolloutReader(fakeKubeReader(loadSnapshot("rolled-back")));
    await expect(collectRolloutSnapshot(reader, { ...target, name: "nope" })).rejects.toThrow(/Rollout streamforge\/nope not found: apply/);
  });
});

describe("findStepAnalysisRun", () => {
  it("takes the run the Rollout names while the canary is in flight or aborted", () => {
    expect(findStepAnalysisRun(loadSnapshot("rolled-back"), REVISION_2_HASH)?.foundBy).toBe("status");
  });

  it("finds the latest Step run of the hash by labels once Argo cleared the status field", () => {
    const snapshot = loadSnapshot("promoted");
    const older = structuredClone(snapshot.analysisRuns[0]!);
    older.metadata.name = "queue-manager-6f4d8b7c9-2-1.1";
    older.metadata.creationTimestamp = "2025-11-24T11:00:00Z";
    snapshot.analysisRuns.unshift(older);
    expect(findStepAnalysisRun(snapshot, REVISION_2_HASH)).toMatchObject({ foundBy: "labels", run: { metadata: { name: `queue-manager-${REVISION_2_HASH}-2-1` } } });
  });

  it("never returns a run of another hash, even if the status names it", () => {
    expect(findStepAnalysisRun(loadSnapshot("rolled-back"), "5b8c7d9f4")).toBeUndefined();
  });
});
