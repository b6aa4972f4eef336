import { describe, expect, it } from "vitest";
import { consistentWithProbability, networkLossFault, samplesFor } from "./network-loss.ts";
import { NoEvidenceError, UnsupportedFaultError } from "./fault.ts";
import { ManualClock } from "../core/clock.ts";
import { faultHarness } from "../testing/contexts.ts";
import { FakeLab, fakeDescription } from "../testing/fake-lab.ts";
import type { LabDescription } from "../../cluster/provider.ts";
import type { RttMeter } from "../core/ports.ts";

type Action = { nodeId: number; name: string };

function loss(target: Record<string, unknown>, params: Record<string, unknown>, confirmWithinMs = 2_000) {
  const spec = { name: "lossy", type: "network-loss", target: networkLossFault.target.parse(target), params: networkLossFault.params.parse(params), durationMs: 10_000, confirmWithinMs };
  return { spec, fault: networkLossFault.create(spec as never) };
}

/**
 * Fresh connections as Toxiproxy treats them: on a workloads port (312xx) whose broker carries a timeout
 * toxic, every connection whose running count crosses a multiple of 1/toxicity is lost (deterministic,
 * the share is exact); everything else answers in 2 ms.
 */
function perConnectionLoss(lab: FakeLab): RttMeter {
  let connections = 0;
  return {
    measure: async (address, samples) => {
      const toxic = address.port >= 31290 ? lab.toxics.find((candidate) => candidate.nodeId === address.port - 31290 && candidate.spec.kind === "timeout") : undefined;
      if (toxic) {
        const share = toxic.spec.toxicity ?? 1;
        connections++;
        if (Math.floor(connections * share) > Math.floor((connections - 1) * share)) throw new Error(`no Kafka response from ${address.host}:${address.port}`);
      }
      return Array.from({ length: samples }, () => 2);
    },
  };
}

const alwaysAnswers: RttMeter = { measure: async (_address, samples) => Array.from({ length: samples }, () => 2) };

describe("network-loss", () => {
  it("journals the toxic before adding it: a timeout-0 toxic with the probability as toxicity; the lost share shows on the target only", async () => {
    const { spec, fault } = loss({ nodeIds: [2] }, { probability: 0.5 });
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = perConnectionLoss(harness.lab);
    const order: string[] = [];
    harness.ctx.journal.record = async (action, description) => {
      order.push(`journal ${action.nodeId} ${action.name}`);
      harness.journaled.push({ action, description });
    };
    const addToxic = harness.lab.network.addToxic;
    harness.lab.network.addToxic = async (...args: Parameters<typeof addToxic>) => {
      order.push(`addToxic ${args[1]}`);
      return addToxic(...args);
    };
    const evidence = await fault.inject(harness.ctx);
    expect(order).toEqual(["journal 2 chaoslab-rtest-0001-lossy-downstream", "addToxic chaoslab-rtest-0001-lossy-downstream"]);
    expect(harness.journaled[0]!.description).toContain("loss of 50% of connections");
    expect(harness.lab.toxics.map((toxic) => toxic.spec)).toEqual([{ kind: "timeout", timeoutMs: 0, toxicity: 0.5, direction: "downstream" }]);
    expect(harness.injectedAt).toBeDefined();
    expect(evidence.summary).toBe(
      "fresh connections lost on workloads→2 10/20 lost (50%) (configured 50% per connection); the controls answered: direct→2 20/20, workloads→1 20/20, workloads→3 20/20",
    );
    expect(evidence.observations).toMatchObject({ probability: 0.5, samplesPerPath: 20 });
  });

  it("samples enough connections that no loss (or no answer) by chance is rarer than 1 in 1000, and judges the share", () => {
    expect(samplesFor(0.5)).toBe(20);
    expect(samplesFor(0.1)).toBe(66);
    expect(samplesFor(0.9)).toBe(66);
    expect(samplesFor(1)).toBe(20);
    expect(consistentWithProbability(0, 20, 0.5)).toBe(false);
    expect(consistentWithProbability(20, 20, 0.5)).toBe(false);
    expect(consistentWithProbability(7, 20, 0.5)).toBe(true);
    // Every connection lost at 10% is not chance: the toxicity was not applied as asked.
    expect(consistentWithProbability(65, 66, 0.1)).toBe(false);
    expect(consistentWithProbability(20, 20, 1)).toBe(true);
    expect(consistentWithProbability(19, 20, 1)).toBe(false);
  });

  it("accepts 0.1..0.9 or 1, and says it is per-connection loss", () => {
    for (const probability of [0.1, 0.5, 0.9, 1]) expect(networkLossFault.params.safeParse({ probability }).success).toBe(true);
    for (const probability of [0, 0.05, 0.95, 1.5]) expect(networkLossFault.params.safeParse({ probability }).success).toBe(false);
    expect(JSON.stringify(networkLossFault.params.toJSONSchema?.() ?? "")).toMatch(/per-connection loss, not per-packet/);
  });

  it("probability 1: every fresh connection on the target is lost", async () => {
    const { spec, fault } = loss({ nodeIds: [1] }, { probability: 1, direction: "upstream" });
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = perConnectionLoss(harness.lab);
    const evidence = await fault.inject(harness.ctx);
    expect(harness.lab.toxics.map((toxic) => toxic.spec)).toEqual([{ kind: "timeout", timeoutMs: 0, toxicity: 1, direction: "upstream" }]);
    expect(evidence.summary).toMatch(/^fresh connections lost on workloads→1 20\/20 lost \(100%\)/);
  });

  it("is inconclusive when no connection is lost on the targeted path", async () => {
    const { spec, fault } = loss({ nodeIds: [1] }, { probability: 0.5 }, 200);
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = alwaysAnswers;
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a targeted path's lost share is not what 50% per connection gives/);
    expect(harness.journaled).toHaveLength(1);
  });

  it("is inconclusive when a control loses round trips too", async () => {
    const { spec, fault } = loss({ nodeIds: [1] }, { probability: 0.5 }, 200);
    const harness = faultHarness<Action>(spec);
    const real = perConnectionLoss(harness.lab);
    harness.ctx.rtt = { measure: async (address, samples) => (address.port === 31292 && harness.lab.toxics.length > 0 ? Promise.reject(new Error("refused")) : real.measure(address, samples)) };
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a control path loses round trips too/);
  });

  it("touches nothing and is inconclusive when a path already fails before the loss", async () => {
    const { spec, fault } = loss({ nodeIds: [1] }, { probability: 0.5 });
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = { measure: async (address, samples) => (address.port === 31291 ? Promise.reject(new Error("connection refused")) : Array.from({ length: samples }, () => 2)) };
    const error = await fault.inject(harness.ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoEvidenceError);
    expect((error as Error).message).toContain("workloads→1 (connection refused) already fail before the loss");
    expect(harness.journaled).toEqual([]);
    expect(harness.lab.toxics).toEqual([]);
  });

  it("is skipped (UnsupportedFaultError) on a lab without Toxiproxy, before touching anything", async () => {
    const lab = new FakeLab();
    (lab as { description: LabDescription }).description = { ...fakeDescription, provider: "existing", toxiproxy: undefined };
    const { spec, fault } = loss({ nodeIds: [1] }, { probability: 0.5 });
    const harness = faultHarness<Action>(spec, { lab });
    await expect(fault.inject(harness.ctx)).rejects.toThrow(UnsupportedFaultError);
    expect(harness.journaled).toEqual([]);
    expect((await fault.plan(harness.plan)).notes.at(-1)).toMatch(/^will be skipped: the existing lab has no Toxiproxy/);
  });

  it("watch: holds while connections are lost, inconclusive when the toxic disappears behind the harness's back", async () => {
    const clock = new ManualClock();
    const { spec, fault } = loss({ nodeIds: [2] }, { probability: 0.5 });
    const harness = faultHarness<Action>(spec, { clock });
    harness.ctx.rtt = perConnectionLoss(harness.lab);
    await clock.runUntil(fault.inject(harness.ctx));
    await clock.runUntil(fault.watch!(harness.ctx, clock.now() + 10_000));
    expect(harness.ctx.timeline.toJSON().entries.filter((entry) => entry.kind === "probe" && entry.outcome === "ok").length).toBeGreaterThanOrEqual(1);

    const watching = fault.watch!(harness.ctx, clock.now() + 10_000);
    await clock.advance(2_500);
    await harness.lab.network.removeToxic(harness.lab.toxics[0]!);
    await expect(clock.runUntil(watching)).rejects.toThrow(/toxic\(s\) chaoslab-rtest-0001-lossy-downstream on broker 2 disappeared before the fault's 10s were over/);
  });

  it("watch: inconclusive after two batches in a row without a loss while the toxic is still listed", async () => {
    const clock = new ManualClock();
    const { spec, fault } = loss({ nodeIds: [2] }, { probability: 0.5 });
    const harness = faultHarness<Action>(spec, { clock });
    harness.ctx.rtt = perConnectionLoss(harness.lab);
    await clock.runUntil(fault.inject(harness.ctx));
    harness.ctx.rtt = alwaysAnswers;
    await expect(clock.runUntil(fault.watch!(harness.ctx, clock.now() + 20_000))).rejects.toThrow(/the targeted paths no longer lose 50% of connections/);
  });
});
