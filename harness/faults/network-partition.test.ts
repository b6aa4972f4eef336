import { describe, expect, it } from "vitest";
import { networkPartitionFault } from "./network-partition.ts";
import { NoEvidenceError, UnsupportedFaultError } from "./fault.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { ManualClock } from "../core/clock.ts";
import { auditLeaks } from "../engine/leak-audit.ts";
import { faultHarness } from "../testing/contexts.ts";
import { FakeLab, FakeRtt, fakeDescription } from "../testing/fake-lab.ts";
import type { LabDescription } from "../../cluster/provider.ts";

type Action = { nodeId: number; name: string };

function partition(target: Record<string, unknown>, params: Record<string, unknown> = {}, confirmWithinMs = 2_000) {
  const spec = { name: "cut", type: "network-partition", target: networkPartitionFault.target.parse(target), params: networkPartitionFault.params.parse(params), durationMs: 10_000, confirmWithinMs };
  return { spec, fault: networkPartitionFault.create(spec as never) };
}

/** Round trips that ignore the toxics: a cut that does not cut. */
const alwaysAnswers = { measure: async (_address: unknown, samples: number) => Array.from({ length: samples }, () => 2) };

describe("network-partition", () => {
  it("journals each toxic before adding it, cuts both directions with a timeout-0 toxic, and shows only the cut path failing", async () => {
    const { spec, fault } = partition({ nodeIds: [2] });
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
    expect(order).toEqual([
      "journal 2 chaoslab-rtest-0001-cut-upstream",
      "addToxic chaoslab-rtest-0001-cut-upstream",
      "journal 2 chaoslab-rtest-0001-cut-downstream",
      "addToxic chaoslab-rtest-0001-cut-downstream",
    ]);
    expect(harness.lab.toxics.map((toxic) => toxic.spec)).toEqual([
      { kind: "timeout", timeoutMs: 0, direction: "upstream" },
      { kind: "timeout", timeoutMs: 0, direction: "downstream" },
    ]);
    expect(harness.injectedAt).toBeDefined();
    expect(evidence.summary).toMatch(/^round trips fail on the cut path\(s\) workloads→2 no Kafka response .*; the controls still answer: direct→2 2ms, workloads→1 2ms, workloads→3 2ms$/);
    expect(evidence.observations.paths).toMatchObject({
      "workloads→2": { cut: true, before: "2ms", during: expect.stringContaining("no Kafka response") },
      "direct→2": { cut: false, during: "2ms" },
      "workloads→1": { cut: false, during: "2ms" },
      "workloads→3": { cut: false, during: "2ms" },
    });
  });

  it("one direction is one toxic per broker", async () => {
    const { spec, fault } = partition({ leaderOf: { topic: "loader-data", partition: 1 } }, { direction: "upstream" });
    const harness = faultHarness<Action>(spec);
    await fault.inject(harness.ctx);
    expect(harness.lab.toxics.map((toxic) => `${toxic.nodeId}/${toxic.spec.kind}/${toxic.spec.direction}`)).toEqual(["3/timeout/upstream"]);
  });

  it("is inconclusive when the cut path still answers", async () => {
    const { spec, fault } = partition({ nodeIds: [1] }, {}, 200);
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = alwaysAnswers;
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a cut path still answers/);
    expect(harness.journaled).toHaveLength(2);
  });

  it("is inconclusive when a control fails too: an outage is not a partition of the targeted brokers", async () => {
    const { spec, fault } = partition({ nodeIds: [1] }, {}, 200);
    const harness = faultHarness<Action>(spec);
    const real = new FakeRtt(harness.lab);
    harness.ctx.rtt = {
      measure: async (address, samples) => {
        if (harness.lab.toxics.length > 0) throw new Error("connection refused");
        return real.measure(address, samples);
      },
    };
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/a control path fails too/);
  });

  it("touches nothing and is inconclusive when a path already fails before the cut", async () => {
    const { spec, fault } = partition({ nodeIds: [1] });
    const harness = faultHarness<Action>(spec);
    harness.ctx.rtt = {
      measure: async (address, samples) => {
        if (address.port === 31292) throw new Error("connection refused");
        return Array.from({ length: samples }, () => 2);
      },
    };
    const error = await fault.inject(harness.ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoEvidenceError);
    expect((error as Error).message).toContain("workloads→2 (connection refused) already fail before the cut");
    expect(harness.journaled).toEqual([]);
    expect(harness.lab.toxics).toEqual([]);
  });

  it("is skipped (UnsupportedFaultError) on a lab without Toxiproxy, before touching anything", async () => {
    const lab = new FakeLab();
    (lab as { description: LabDescription }).description = { ...fakeDescription, provider: "existing", toxiproxy: undefined };
    const { spec, fault } = partition({ nodeIds: [1] });
    const harness = faultHarness<Action>(spec, { lab });
    await expect(fault.inject(harness.ctx)).rejects.toThrow(UnsupportedFaultError);
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/the existing lab has no Toxiproxy in front of the brokers.*What to do/);
    expect(harness.journaled).toEqual([]);
    expect((await fault.plan(harness.plan)).notes.at(-1)).toMatch(/^will be skipped: /);
  });

  it("watch: holds while the cut lasts, and is inconclusive when the toxic is removed behind the harness's back", async () => {
    const clock = new ManualClock();
    const { spec, fault } = partition({ nodeIds: [2] });
    const harness = faultHarness<Action>(spec, { clock });
    await clock.runUntil(fault.inject(harness.ctx));
    // The whole duration with the cut in place: the cut path's round trips keep failing, watch returns.
    await clock.runUntil(fault.watch!(harness.ctx, clock.now() + 10_000));
    expect(harness.ctx.timeline.toJSON().entries.filter((entry) => entry.kind === "probe" && entry.outcome === "ok").length).toBeGreaterThanOrEqual(1);

    const watching = fault.watch!(harness.ctx, clock.now() + 10_000);
    await clock.advance(2_500);
    await harness.lab.network.removeToxic(harness.lab.toxics[0]!);
    await expect(clock.runUntil(watching)).rejects.toThrow(/toxic\(s\) chaoslab-rtest-0001-cut-upstream on broker 2 disappeared before the fault's 10s were over/);
  });

  it("watch: is inconclusive when a cut path answers again while the toxics are still listed", async () => {
    const clock = new ManualClock();
    const { spec, fault } = partition({ nodeIds: [2] });
    const harness = faultHarness<Action>(spec, { clock });
    await clock.runUntil(fault.inject(harness.ctx));
    harness.ctx.rtt = alwaysAnswers;
    await expect(clock.runUntil(fault.watch!(harness.ctx, clock.now() + 10_000))).rejects.toThrow(/the cut path\(s\) workloads→2 answer again/);
  });

  it("reverts idempotently from the journaled action, and a leftover toxic is one leak in the audit", async () => {
    const { spec, fault } = partition({ nodeIds: [2] }, { direction: "downstream" });
    const harness = faultHarness<Action>(spec);
    await fault.inject(harness.ctx);
    const audit = () => auditLeaks({ catalog: DEFAULT_CATALOG, lab: harness.lab, ports: harness.ports, clock: harness.ctx.clock }, undefined, []);
    // network-latency audits toxics too: the engine reports the same leftover once.
    expect(await audit()).toEqual([{ what: "toxic chaoslab-rtest-0001-cut-downstream on broker 2's workloads proxy", fix: expect.stringContaining("chaoslab cleanup") }]);
    const revertCtx = { lab: harness.lab, kube: harness.ports.kube, clock: harness.ctx.clock, log: harness.ctx.log };
    const action = networkPartitionFault.revertAction.parse(JSON.parse(JSON.stringify(harness.journaled[0]!.action)));
    await networkPartitionFault.revert(action, revertCtx);
    await networkPartitionFault.revert(action, revertCtx);
    expect(harness.lab.toxics).toEqual([]);
    expect(harness.lab.calls.filter((call) => call.startsWith("removeToxic"))).toHaveLength(1);
    expect(await audit()).toEqual([]);
  });

  it("plans the proxies it would cut", async () => {
    const { spec, fault } = partition({ all: true, mode: "all" });
    const harness = faultHarness(spec, { safety: { maxTargets: 3 } });
    const plan = await fault.plan(harness.plan);
    expect(plan.targets.map((target) => target.id)).toEqual(["workloads → broker 1 (127.0.0.1:31291)", "workloads → broker 2 (127.0.0.1:31292)", "workloads → broker 3 (127.0.0.1:31293)"]);
    expect(plan.notes[1]).toBe("cut both directions for 10s");
    expect(plan.notes).toHaveLength(3);
  });
});
