import { describe, expect, it } from "vitest";
import { networkBandwidthFault } from "./network-bandwidth.ts";
import { NoEvidenceError, UnsupportedFaultError } from "./fault.ts";
import { ManualClock } from "../core/clock.ts";
import { faultHarness } from "../testing/contexts.ts";
import { FakeLab, fakeDescription } from "../testing/fake-lab.ts";
import type { LabDescription } from "../../cluster/provider.ts";
import type { TransferMeter } from "../core/ports.ts";

type Action = { nodeId: number; name: string };

function bandwidth(target: Record<string, unknown>, params: Record<string, unknown>, confirmWithinMs = 2_000) {
  const spec = { name: "narrow", type: "network-bandwidth", target: networkBandwidthFault.target.parse(target), params: networkBandwidthFault.params.parse(params), durationMs: 10_000, confirmWithinMs };
  return { spec, fault: networkBandwidthFault.create(spec as never) };
}

/** Transfers that ignore the toxics: a cap that does not cap. */
const neverCapped: TransferMeter = { transfer: async (_address, _brokerId, minBytes) => ({ bytes: minBytes, ms: 5, responses: 1 }) };

describe("network-bandwidth", () => {
  it("journals the toxic before adding it, caps downstream, and shows the capped transfer next to fast controls", async () => {
    const { spec, fault } = bandwidth({ nodeIds: [2] }, { rate: 10 });
    const harness = faultHarness<Action>(spec);
    const order: string[] = [];
    harness.ctx.journal.record = async (action) => {
      order.push(`journal ${action.nodeId} ${action.name}`);
      harness.journaled.push({ action, description: "" });
    };
    const addToxic = harness.lab.network.addToxic;
    harness.lab.network.addToxic = async (...args: Parameters<typeof addToxic>) => {
      order.push(`addToxic ${args[1]}`);
      return addToxic(...args);
    };
    const evidence = await fault.inject(harness.ctx);
    expect(order).toEqual(["journal 2 chaoslab-rtest-0001-narrow-downstream", "addToxic chaoslab-rtest-0001-narrow-downstream"]);
    expect(harness.lab.toxics.map((toxic) => toxic.spec)).toEqual([{ kind: "bandwidth", rateKBps: 10, direction: "downstream" }]);
    expect(harness.injectedAt).toBeDefined();
    // 10 KB/s for 1.5 s is 15 KB: one 17.1 KB response, 1.71 s at the cap.
    expect(evidence.summary).toBe(
      "downstream workloads→2 17.1 KB in 1.71 s = 10.0 KB/s (cap 10 KB/s); controls: direct→2 17.1 KB in 2 ms = 7889.7 KB/s, workloads→1 17.1 KB in 2 ms = 7889.7 KB/s, workloads→3 17.1 KB in 2 ms = 7889.7 KB/s",
    );
    expect(evidence.observations.paths).toMatchObject({ "workloads→2": { targeted: true, before: "17.1 KB in 2 ms", during: "17.1 KB in 1.71 s" }, "direct→2": { targeted: false, during: "17.1 KB in 2 ms" } });
  });

  it("sizes the transfer to the cap: 1000 KB/s moves at least 1.5 MB", async () => {
    const { spec, fault } = bandwidth({ nodeIds: [1] }, { rate: 1_000 });
    const harness = faultHarness<Action>(spec);
    const evidence = await fault.inject(harness.ctx);
    expect(evidence.summary).toMatch(/^downstream workloads→1 1507\.5 KB in 1\.51 s = 1000\.0 KB\/s \(cap 1000 KB\/s\)/);
  });

  it("refuses upstream and rates it cannot prove, saying why", () => {
    expect(networkBandwidthFault.params.safeParse({ rate: 10, direction: "upstream" }).success).toBe(false);
    expect(networkBandwidthFault.params.safeParse({ rate: 2 }).success).toBe(false);
    expect(networkBandwidthFault.params.safeParse({ rate: 5_000 }).success).toBe(false);
    expect(JSON.stringify(networkBandwidthFault.params.toJSONSchema?.() ?? "")).toMatch(/Upstream is not offered/);
  });

  it("is inconclusive when the targeted path is not slowed (no evidence without a capped transfer)", async () => {
    const { spec, fault } = bandwidth({ nodeIds: [1] }, { rate: 10 }, 200);
    const harness = faultHarness<Action>(spec);
    harness.ctx.transfer = neverCapped;
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a targeted path moved faster than 0.8 × the cap allows/);
    expect(harness.journaled).toHaveLength(1);
  });

  it("is inconclusive when a control is slow too: the cap is not confined to its target", async () => {
    const { spec, fault } = bandwidth({ nodeIds: [1] }, { rate: 10 }, 200);
    const harness = faultHarness<Action>(spec);
    harness.ctx.transfer = { transfer: async (_address, _brokerId, minBytes) => ({ bytes: minBytes, ms: harness.lab.toxics.length > 0 ? 5_000 : 5, responses: 1 }) };
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a control path is slow too/);
  });

  it("touches nothing and is inconclusive when a path is already as slow as the cap", async () => {
    const { spec, fault } = bandwidth({ nodeIds: [1] }, { rate: 10 });
    const harness = faultHarness<Action>(spec);
    harness.ctx.transfer = { transfer: async (address, _brokerId, minBytes) => ({ bytes: minBytes, ms: address.port === 31091 ? 2_000 : 5, responses: 1 }) };
    const error = await fault.inject(harness.ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoEvidenceError);
    expect((error as Error).message).toContain("path(s) direct→1 (15.0 KB in 2.00 s) are already no faster than twice the cap");
    expect(harness.journaled).toEqual([]);
    expect(harness.lab.toxics).toEqual([]);
  });

  it("is skipped (UnsupportedFaultError) on a lab without Toxiproxy, before touching anything", async () => {
    const lab = new FakeLab();
    (lab as { description: LabDescription }).description = { ...fakeDescription, provider: "existing", toxiproxy: undefined };
    const { spec, fault } = bandwidth({ nodeIds: [1] }, { rate: 10 });
    const harness = faultHarness<Action>(spec, { lab });
    await expect(fault.inject(harness.ctx)).rejects.toThrow(UnsupportedFaultError);
    expect(harness.journaled).toEqual([]);
    expect((await fault.plan(harness.plan)).notes.at(-1)).toMatch(/^will be skipped: the existing lab has no Toxiproxy/);
  });

  it("watch: holds while capped, inconclusive when the toxic disappears behind the harness's back", async () => {
    const clock = new ManualClock();
    const { spec, fault } = bandwidth({ nodeIds: [2] }, { rate: 10 });
    const harness = faultHarness<Action>(spec, { clock });
    await clock.runUntil(fault.inject(harness.ctx));
    await clock.runUntil(fault.watch!(harness.ctx, clock.now() + 10_000));
    expect(harness.ctx.timeline.toJSON().entries.filter((entry) => entry.kind === "probe" && entry.outcome === "ok").length).toBeGreaterThanOrEqual(1);

    const watching = fault.watch!(harness.ctx, clock.now() + 10_000);
    await clock.advance(2_500);
    await harness.lab.network.removeToxic(harness.lab.toxics[0]!);
    await expect(clock.runUntil(watching)).rejects.toThrow(/toxic\(s\) chaoslab-rtest-0001-narrow-downstream on broker 2 disappeared before the fault's 10s were over/);
  });

  it("watch: inconclusive after two fast transfers in a row while the toxic is still listed", async () => {
    const clock = new ManualClock();
    const { spec, fault } = bandwidth({ nodeIds: [2] }, { rate: 10 });
    const harness = faultHarness<Action>(spec, { clock });
    await clock.runUntil(fault.inject(harness.ctx));
    harness.ctx.transfer = neverCapped;
    await expect(clock.runUntil(fault.watch!(harness.ctx, clock.now() + 20_000))).rejects.toThrow(/the targeted paths are no longer capped at 10 KB\/s/);
  });
});
