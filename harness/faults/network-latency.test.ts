import { describe, expect, it } from "vitest";
import { networkLatencyFault } from "./network-latency.ts";
import { NoEvidenceError } from "./fault.ts";
import { faultHarness } from "../testing/contexts.ts";
import { FakeRtt } from "../testing/fake-lab.ts";
import { ManualClock } from "../core/clock.ts";

function latency(target: Record<string, unknown>, params: Record<string, unknown>, confirmWithinMs = 2_000) {
  const spec = { name: "slow", type: "network-latency", target: networkLatencyFault.target.parse(target), params: networkLatencyFault.params.parse(params), durationMs: 1_000, confirmWithinMs };
  return { spec, fault: networkLatencyFault.create(spec as never) };
}

describe("network-latency", () => {
  it("journals each toxic before adding it, and shows the targeted path slowed while the controls did not", async () => {
    const { spec, fault } = latency({ nodeIds: [2] }, { latency: "200ms", direction: "downstream" });
    const harness = faultHarness<{ nodeId: number; name: string }>(spec);
    const order: string[] = [];
    harness.ctx.journal.record = async (action) => {
      order.push(`journal ${action.nodeId}`);
      harness.journaled.push({ action, description: "" });
    };
    const addToxic = harness.lab.network.addToxic;
    harness.lab.network.addToxic = async (...args: Parameters<typeof addToxic>) => {
      order.push("addToxic");
      return addToxic(...args);
    };
    const evidence = await fault.inject(harness.ctx);
    expect(order).toEqual(["journal 2", "addToxic"]);
    expect(harness.journaled.map((entry) => entry.action)).toEqual([{ nodeId: 2, name: "chaoslab-rtest-0001-slow-downstream" }]);
    expect(evidence.summary).toContain("workloads→2 +200ms");
    expect(evidence.observations.paths).toMatchObject({ "workloads→2": { baselineMs: 2, observedMs: 202, targeted: true }, "direct→2": { observedMs: 2 }, "workloads→1": { observedMs: 2 } });
  });

  it("direction both adds two toxics and expects twice the delay per round trip", async () => {
    const { spec, fault } = latency({ leaderOf: { topic: "loader-data", partition: 1 } }, { latency: "100ms", direction: "both" });
    const harness = faultHarness<{ nodeId: number; name: string }>(spec);
    const evidence = await fault.inject(harness.ctx);
    expect(harness.lab.toxics.map((toxic) => `${toxic.nodeId}/${toxic.spec.direction}`)).toEqual(["3/upstream", "3/downstream"]);
    expect(evidence.observations.configuredMs).toBe(200);
  });

  it("is inconclusive when the measured round trip does not rise", async () => {
    const { spec, fault } = latency({ nodeIds: [1] }, { latency: "200ms" }, 200);
    const harness = faultHarness<{ nodeId: number; name: string }>(spec);
    harness.ctx.rtt = { measure: async (_address, samples) => Array.from({ length: samples }, () => 2) };
    await expect(fault.inject(harness.ctx)).rejects.toThrow(NoEvidenceError);
    expect(harness.journaled).toHaveLength(1);
  });

  it("is inconclusive when a control path slows down too (the fault is not confined)", async () => {
    const { spec, fault } = latency({ nodeIds: [1] }, { latency: "200ms" }, 200);
    const harness = faultHarness<{ nodeId: number; name: string }>(spec);
    const real = new FakeRtt(harness.lab);
    harness.ctx.rtt = { measure: async (address, samples) => (harness.lab.toxics.length > 0 ? Array.from({ length: samples }, () => 300) : real.measure(address, samples)) };
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a control path slowed down too/);
  });

  it("reverts idempotently and audits leftover toxics", async () => {
    const { spec, fault } = latency({ nodeIds: [2] }, { latency: "50ms" });
    const harness = faultHarness<{ nodeId: number; name: string }>(spec);
    await fault.inject(harness.ctx);
    expect(await networkLatencyFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: [] })).toHaveLength(1);
    const revertCtx = { lab: harness.lab, kube: harness.ports.kube, clock: harness.ctx.clock, log: harness.ctx.log };
    await networkLatencyFault.revert(harness.journaled[0]!.action, revertCtx);
    await networkLatencyFault.revert(harness.journaled[0]!.action, revertCtx);
    expect(harness.lab.toxics).toEqual([]);
    expect(harness.lab.calls.filter((call) => call.startsWith("removeToxic"))).toHaveLength(1);
    expect(await networkLatencyFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: [] })).toEqual([]);
  });

  it("plans the proxies it would slow down", async () => {
    const { spec, fault } = latency({ all: true, mode: "all" }, { latency: "300ms", jitter: "50ms" });
    const harness = faultHarness(spec, { safety: { maxTargets: 3 } });
    const plan = await fault.plan(harness.plan);
    expect(plan.targets.map((target) => target.id)).toEqual(["workloads → broker 1 (127.0.0.1:31291)", "workloads → broker 2 (127.0.0.1:31292)", "workloads → broker 3 (127.0.0.1:31293)"]);
    expect(plan.safety.ok).toBe(true);
    expect(plan.notes[1]).toBe("300ms ± 50ms downstream for 1s");
  });
});

describe("network-latency beside other faults", () => {
  it("a targeted broker that stops answering (stopped by an overlapping fault) is no evidence either way; a lost delay still is", async () => {
    const clock = new ManualClock();
    const { spec, fault } = latency({ nodeIds: [1, 2], mode: "all" }, { latency: "200ms", direction: "downstream" });
    const harness = faultHarness(spec, { safety: { maxTargets: 2 }, clock });
    await fault.inject(harness.ctx);
    const measure = harness.ctx.rtt.measure.bind(harness.ctx.rtt);
    harness.ctx.rtt = {
      measure: async (address, samples, signal) => {
        if (address.port === 31291) throw new Error("127.0.0.1:31291: read ECONNRESET");
        return measure(address, samples, signal);
      },
    };
    const held = fault.watch!(harness.ctx, clock.now() + 30_000);
    await clock.advance(31_000);
    await held;
    expect(harness.ctx.timeline.ofKind("probe").at(-1)).toMatchObject({ outcome: "ok", detail: expect.stringContaining("workloads→1 no answer") });

    // The delay gone from the path that still answers: two misses in a row end the fault as inconclusive.
    harness.lab.toxics.forEach((toxic) => (toxic.spec = { ...toxic.spec, latencyMs: 0 } as typeof toxic.spec));
    const lost = fault.watch!(harness.ctx, clock.now() + 30_000).catch((error: unknown) => error);
    await clock.advance(31_000);
    expect(await lost).toBeInstanceOf(NoEvidenceError);
  });
});
