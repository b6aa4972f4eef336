import { describe, expect, it } from "vitest";
import type { ProbeContext } from "./probe.ts";
import { fakeKubeReader } from "./rollout/fixtures/fake-kube-reader.ts";
import { loadSnapshot, REVISION_1_HASH, REVISION_2_HASH, type SnapshotFixture } from "./rollout/fixtures/snapshot-fixtures.ts";
import { rolloutProbe } from "./rollout-probe.ts";
import { kubeReaderRolloutReader } from "./rollout/rollout-snapshot.ts";
import { recordRolloutNamespace } from "./rollout/rollout-baseline.ts";
import type { SharedResources } from "../core/context.ts";

/** The run's shared resources, as the engine keeps them: one object per key. */
function sharedResources(): SharedResources {
  const held = new Map<string, unknown>();
  return {
    get: async <T extends { close(): Promise<void> }>(key: string, create: () => Promise<T> | T) => {
      if (!held.has(key)) held.set(key, await create());
      return held.get(key) as T;
    },
  };
}

/** Only what the rollout probe reads from the context. */
function context(fixture: SnapshotFixture, failWith?: Error): ProbeContext {
  const kube = fakeKubeReader(loadSnapshot(fixture), { failWith });
  // A real cluster's answer to "which endpoints back this Service": its recorded EndpointSlices.
  const services = { endpointSlices: (namespace: string, name: string) => kubeReaderRolloutReader(kube).listEndpointSlices(namespace, name) };
  return { kube, services, clock: { now: () => Date.parse("2025-11-24T12:00:00Z") } } as unknown as ProbeContext;
}

function probe(params: Record<string, unknown>) {
  return rolloutProbe.create(rolloutProbe.params.parse({ name: "queue-manager", services: ["queue-manager"], ...params }) as never);
}

describe("rollout probe", () => {
  it("holds for a rollback, with the whole judgement as its value", async () => {
    const sample = await probe({ expect: "rolled-back", stableHash: REVISION_1_HASH }).sample(context("rolled-back"));
    expect(sample.outcome).toBe("ok");
    expect(sample.detail).toMatch(/^rolled back: /);
    expect(sample.value).toMatchObject({ verdict: "passed", analysisRun: { phase: "Failed" }, timing: { revisionToOutcomeMs: 21_000 } });
  });

  it("reads revision N from ReplicaSet history when the scenario gave no stableHash", async () => {
    expect((await probe({ expect: "promoted" }).sample(context("promoted"))).outcome).toBe("ok");
  });

  it("does not hold for a promotion when the canary was rolled back", async () => {
    const sample = await probe({ expect: "promoted" }).sample(context("rolled-back"));
    expect(sample.outcome).toBe("not-ok");
    expect(sample.detail).toMatch(/^not promoted: /);
  });

  it("healthy means Healthy on a fully promoted revision", async () => {
    expect((await probe({ expect: "healthy" }).sample(context("promoted"))).outcome).toBe("ok");
    const aborted = await probe({ expect: "healthy" }).sample(context("rolled-back"));
    expect(aborted.outcome).toBe("not-ok");
    expect(aborted.detail).toContain(`Degraded (RolloutAborted: `);
    expect(aborted.detail).toContain(`current ${REVISION_2_HASH}`);
  });

  it("is no-data when the API cannot be read", async () => {
    const sample = await probe({ expect: "rolled-back" }).sample(context("rolled-back", new Error("connection refused")));
    expect(sample).toMatchObject({ outcome: "no-data", detail: "cannot read Rollout streamforge/queue-manager: connection refused" });
  });

  it("finds the Rollout where the run's canary setup put it (its own namespace), unless the scenario names one", async () => {
    const shared = sharedResources();
    await recordRolloutNamespace(shared, "queue-manager", "streamforge-canary-3fa2c1");
    const failing = { ...context("rolled-back", new Error("connection refused")), shared };
    expect((await probe({ expect: "rolled-back" }).sample(failing)).detail).toBe("cannot read Rollout streamforge-canary-3fa2c1/queue-manager: connection refused");
    expect((await probe({ expect: "rolled-back", namespace: "elsewhere" }).sample(failing)).detail).toBe("cannot read Rollout elsewhere/queue-manager: connection refused");
  });

  it("rejects unknown expectations and keys", () => {
    expect(rolloutProbe.params.safeParse({ name: "queue-manager", expect: "rolled back" }).success).toBe(false);
    expect(rolloutProbe.params.safeParse({ name: "queue-manager", expect: "promoted", stable: "x" }).success).toBe(false);
  });
});
