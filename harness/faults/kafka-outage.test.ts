import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.ts";
import { faultHarness } from "../testing/contexts.ts";
import { NoEvidenceError, UnsupportedFaultError } from "./fault.ts";
import { kafkaOutageFault } from "./kafka-outage.ts";

const everyBroker = { maxTargets: 3, maxPercent: 100 };

function outage(params: Record<string, unknown> = {}, confirmWithinMs = 2_000) {
  const spec = { name: "outage", type: "kafka-outage", target: kafkaOutageFault.target.parse(undefined), params: kafkaOutageFault.params.parse(params), durationMs: 400, confirmWithinMs };
  return { spec, fault: kafkaOutageFault.create(spec as never) };
}

describe("kafka-outage", () => {
  it("plans every broker, and the default safety policy refuses a whole-cluster outage", async () => {
    const { spec, fault } = outage();
    const refused = await fault.plan(faultHarness(spec).plan);
    expect(refused.targets.map((target) => target.id)).toEqual(["broker 1", "broker 2", "broker 3"]);
    expect(refused.safety.ok).toBe(false);
    expect(refused.safety.violations.join("; ")).toContain("3 targets selected, safety.maxTargets is 1");
    const allowed = await fault.plan(faultHarness(spec, { safety: everyBroker }).plan);
    expect(allowed.safety).toEqual({ ok: true, violations: [] });
    expect(allowed.notes[0]).toBe("all 3 brokers crashed for 400ms, then started together");
  });

  it("journals one restart of every broker before the first kill, proves the outage, and the revert starts them all", async () => {
    const { spec, fault } = outage({ shutdown: "graceful" });
    const harness = faultHarness<{ nodeIds: number[] }>(spec, { safety: everyBroker });
    const order: string[] = [];
    harness.ctx.journal.record = async (action) => {
      order.push(`journal ${action.nodeIds.join(",")}`);
      harness.journaled.push({ action, description: "" });
    };
    const kill = harness.lab.brokers.kill;
    harness.lab.brokers.kill = async (nodeId, mode) => {
      order.push(`kill ${nodeId}`);
      return kill(nodeId, mode);
    };
    const evidence = await fault.inject(harness.ctx);
    expect(order).toEqual(["journal 1,2,3", "kill 1", "kill 2", "kill 3"]);
    expect(evidence.summary).toBe("all 3 brokers down; no metadata answer from the cluster");
    await fault.watch!(harness.ctx, harness.ctx.clock.now() + 300);
    await kafkaOutageFault.revert({ nodeIds: [1, 2, 3] }, { lab: harness.lab, kube: harness.ports.kube, kafka: harness.ports.kafka, clock: harness.ctx.clock, log: harness.ctx.log });
    expect(harness.lab.calls.slice(-3)).toEqual(["start 1", "start 2", "start 3"]);
    expect((await harness.lab.brokers.list()).every((broker) => broker.running)).toBe(true);
    // Idempotent: reverting again (cleanup after a crash) succeeds.
    await kafkaOutageFault.revert({ nodeIds: [1, 2, 3] }, { lab: harness.lab, kube: harness.ports.kube, kafka: harness.ports.kafka, clock: harness.ctx.clock, log: harness.ctx.log });
  });

  it("a metadata request that hangs counts as no answer once 3 s of the lab's clock have passed", async () => {
    const { spec, fault } = outage({}, 10_000);
    const clock = new ManualClock();
    const harness = faultHarness(spec, { safety: everyBroker, clock });
    harness.ports.kafka.brokers = () => new Promise(() => {});
    let evidence: { summary: string } | undefined;
    const injected = fault.inject(harness.ctx).then((result) => (evidence = result));
    await clock.advance(2_900);
    expect(evidence).toBeUndefined();
    await clock.advance(200);
    await injected;
    expect(evidence?.summary).toBe("all 3 brokers down; no metadata answer from the cluster");
  });

  it("refuses to inject when the policy forbids it, touching nothing", async () => {
    const { spec, fault } = outage();
    const harness = faultHarness(spec);
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/maxTargets/);
    expect(harness.lab.calls).toEqual([]);
    expect(harness.journaled).toEqual([]);
  });

  it("is inconclusive when a broker keeps running (the kill did not take)", async () => {
    const { spec, fault } = outage({}, 300);
    const harness = faultHarness(spec, { safety: everyBroker });
    const kill = harness.lab.brokers.kill;
    harness.lab.brokers.kill = async (nodeId, mode) => (nodeId === 2 ? undefined : kill(nodeId, mode));
    await expect(fault.inject(harness.ctx)).rejects.toThrow(/broker\(s\) 2 still running/);
  });

  it("negative control: a broker started behind the harness's back mid-outage makes it inconclusive", async () => {
    const { spec, fault } = outage();
    const harness = faultHarness(spec, { safety: everyBroker });
    await fault.inject(harness.ctx);
    setTimeout(() => harness.lab.stopped.delete(3), 100);
    const error = await fault.watch!(harness.ctx, harness.ctx.clock.now() + 2_000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoEvidenceError);
    expect((error as Error).message).toContain("the outage did not last: broker(s) 3 running again");
  });
});

describe("kafka-outage where brokers cannot be held down", () => {
  it("is skipped with the reason when a controller recreates stopped brokers (kind, existing)", async () => {
    const { spec, fault } = outage();
    const harness = faultHarness(spec, { safety: everyBroker });
    Object.assign(harness.lab.brokers, { downtime: "until-recreated" });
    const error = await fault.inject(harness.ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedFaultError);
    expect((error as Error).message).toContain("recreated at once by its controller");
    expect(harness.lab.calls).toEqual([]);
  });
});
