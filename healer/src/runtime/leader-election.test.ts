import { describe, expect, it } from "vitest";
import { flushPromises, ManualClock } from "../testing/manual-clock.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { LeaderElector, microTime } from "./leader-election.ts";
import { FakeKube } from "../testing/fake-kube.ts";

type LeaseApi = Pick<KubeApi, "readLease" | "createLease" | "replaceLease">;

function elector(clock: ManualClock, api: LeaseApi, identity: string, log: string[]) {
  return new LeaderElector({
    api,
    clock,
    namespace: "streamforge",
    name: "healer",
    identity,
    leaseDurationMs: 3_000,
    renewDeadlineMs: 2_000,
    retryPeriodMs: 500,
    random: () => 0.5,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
    log: { info: () => undefined, warn: () => undefined },
  });
}

/** An API for one replica that can be cut off (network partition) or made to hang. */
function partitionable(kube: FakeKube) {
  const state = { mode: "up" as "up" | "down" | "hang" };
  const gate = <T>(call: () => Promise<T>): Promise<T> =>
    state.mode === "down" ? Promise.reject(new Error("connection refused")) : state.mode === "hang" ? new Promise<T>(() => undefined) : call();
  const api: LeaseApi = {
    readLease: (namespace, name) => gate(() => kube.readLease(namespace, name)),
    createLease: (namespace, lease) => gate(() => kube.createLease(namespace, lease)),
    replaceLease: (namespace, lease) => gate(() => kube.replaceLease(namespace, lease)),
  };
  return { api, state };
}

describe("LeaderElector", () => {
  it("one replica leads, the other waits; MicroTime has six fractional digits", async () => {
    const clock = new ManualClock();
    const kube = new FakeKube(clock);
    const log: string[] = [];
    const a = elector(clock, kube, "healer-a", log);
    const b = elector(clock, kube, "healer-b", log);
    a.start();
    await flushPromises();
    b.start();
    await clock.advance(5_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(log).toEqual(["healer-a started"]);
    const lease = await kube.readLease("streamforge", "healer");
    expect(lease?.spec).toMatchObject({ holderIdentity: "healer-a", leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(lease?.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(microTime(Date.UTC(2025, 0, 1, 0, 0, 0, 123))).toBe("2025-01-01T00:00:00.123000Z");
    await a.stop();
    await b.stop();
  });

  it("releases the Lease on stop so the standby takes over within one retry period", async () => {
    const clock = new ManualClock();
    const kube = new FakeKube(clock);
    const log: string[] = [];
    const a = elector(clock, kube, "healer-a", log);
    const b = elector(clock, kube, "healer-b", log);
    a.start();
    await flushPromises();
    b.start();
    await clock.advance(2_000);
    await a.stop();
    expect(a.isLeader()).toBe(false);
    expect((await kube.readLease("streamforge", "healer"))?.spec?.holderIdentity).toBe("");
    await clock.advance(700);
    expect(b.isLeader()).toBe(true);
    expect(log).toEqual(["healer-a started", "healer-a stopped", "healer-b started"]);
    expect((await kube.readLease("streamforge", "healer"))?.spec?.leaseTransitions).toBe(1);
    await b.stop();
  });

  it("a partitioned leader stops acting when renewal is overdue, BEFORE the standby can take over", async () => {
    const clock = new ManualClock();
    const kube = new FakeKube(clock);
    const log: string[] = [];
    const partition = partitionable(kube);
    const a = elector(clock, partition.api, "healer-a", log);
    const b = elector(clock, kube, "healer-b", log);
    a.start();
    await flushPromises();
    b.start();
    await clock.advance(2_000);
    expect(a.isLeader()).toBe(true);
    partition.state.mode = "down";
    let aStoppedAt: number | undefined;
    let bStartedAt: number | undefined;
    for (let step = 0; step < 100; step++) {
      await clock.advance(100);
      expect(a.isLeader() && b.isLeader()).toBe(false);
      if (!a.isLeader()) aStoppedAt ??= clock.monotonicMs();
      if (b.isLeader()) bStartedAt ??= clock.monotonicMs();
    }
    expect(aStoppedAt).toBeDefined();
    expect(bStartedAt).toBeDefined();
    expect(aStoppedAt!).toBeLessThan(bStartedAt!);
    expect(log).toEqual(["healer-a started", "healer-a stopped", "healer-b started"]);
    await a.stop();
    await b.stop();
  });

  it("a renewal request that hangs cannot keep a deposed leader acting", async () => {
    const clock = new ManualClock();
    const kube = new FakeKube(clock);
    const log: string[] = [];
    const partition = partitionable(kube);
    const a = elector(clock, partition.api, "healer-a", log);
    a.start();
    await clock.advance(1_000);
    expect(a.isLeader()).toBe(true);
    partition.state.mode = "hang";
    await clock.advance(2_100);
    expect(a.isLeader()).toBe(false);
    expect(log).toEqual(["healer-a started", "healer-a stopped"]);
  });

  it("a stale write (someone else renewed meanwhile) is a conflict, not leadership", async () => {
    const clock = new ManualClock();
    const kube = new FakeKube(clock);
    const log: string[] = [];
    kube.failNext("update", "leases", new (await import("../kube/kube-client.ts")).KubeApiError(409, "Conflict", "modified"));
    await kube.createLease("streamforge", {
      metadata: { name: "healer" },
      spec: { holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(clock.wallMs()) },
    });
    const a = elector(clock, kube, "healer-a", log);
    a.start();
    await flushPromises();
    expect(a.isLeader()).toBe(false);
    await clock.advance(700);
    expect(a.isLeader()).toBe(true);
    await a.stop();
  });
});
