import { afterAll, describe, expect, it } from "vitest";
import { eventually } from "../testing/eventually.ts";
import { labFixture, uniqueName } from "../testing/lab-fixture.ts";

const fixture = labFixture();
const namespace = "streamforge";
const name = uniqueName("canary-shape");
const rollouts = { group: "argoproj.io", version: "v1alpha1", namespace, plural: "rollouts" };

interface Rollout {
  metadata: { generation: number };
  spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } };
  status?: { phase?: string; observedGeneration?: string; stableRS?: string; currentPodHash?: string; currentStepIndex?: number };
}

afterAll(async () => {
  await fixture.custom.deleteNamespacedCustomObject({ ...rollouts, name }).catch(() => {});
});

function rolloutManifest(version: string) {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: { name, namespace },
    spec: {
      replicas: 10,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // Not a lab image: kwok's stages run these pods; the controllers are real.
          containers: [{ name: "app", image: "registry.invalid/demo:1", env: [{ name: "VERSION", value: version }] }],
        },
      },
      strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }] } },
    },
  };
}

async function readRollout(): Promise<Rollout> {
  return (await fixture.custom.getNamespacedCustomObject({ ...rollouts, name })) as Rollout;
}

async function replicaSetPods() {
  const sets = (await fixture.apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${name}` })).items;
  return Object.fromEntries(sets.map((set) => [set.metadata!.labels!["rollouts-pod-template-hash"]!, set.status?.readyReplicas ?? 0]));
}

describe("Argo Rollouts (the real controller) on the sim", () => {
  it("reconciles a 10-replica basic canary to Healthy, then a template change makes exactly 1 canary pod beside 9 stable", async () => {
    await fixture.custom.createNamespacedCustomObject({ ...rollouts, body: rolloutManifest("1") });
    const healthy = await eventually(
      `Rollout ${name} Healthy at revision 1`,
      readRollout,
      (rollout) => rollout.status?.phase === "Healthy" && rollout.status.observedGeneration === String(rollout.metadata.generation),
      { timeoutMs: 90_000 },
    );
    const stableHash = healthy.status!.stableRS!;
    expect(await replicaSetPods()).toEqual({ [stableHash]: 10 });

    await fixture.custom.patchNamespacedCustomObject(
      { ...rollouts, name, body: [{ op: "replace", path: "/spec/template/spec/containers/0/env/0/value", value: "2" }] },
    );
    const paused = await eventually(
      `Rollout ${name} paused at setWeight 10 with a canary ReplicaSet`,
      readRollout,
      (rollout) => rollout.status?.phase === "Paused" && rollout.status.currentPodHash !== stableHash,
      { timeoutMs: 90_000 },
    );
    const canaryHash = paused.status!.currentPodHash!;
    expect(paused.status!.stableRS).toBe(stableHash);
    const pods = await eventually(
      "1 canary and 9 stable pods ready",
      replicaSetPods,
      (counts) => counts[canaryHash] === 1 && counts[stableHash] === 9,
      { timeoutMs: 60_000 },
    );
    expect(pods).toEqual({ [stableHash]: 9, [canaryHash]: 1 });
  });
});
