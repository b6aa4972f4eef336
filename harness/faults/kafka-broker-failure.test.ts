import { describe, expect, it } from "vitest";
import { brokerFailureEvidence, kafkaBrokerFailureFault } from "./kafka-broker-failure.ts";
import { NoEvidenceError } from "./fault.ts";
import { faultHarness } from "../testing/contexts.ts";

function brokerFailure(target: Record<string, unknown>, params: Record<string, unknown> = {}, confirmWithinMs = 2_000) {
  const spec = { name: "crash", type: "kafka-broker-failure", target: kafkaBrokerFailureFault.target.parse(target), params: kafkaBrokerFailureFault.params.parse(params), durationMs: 1_000, confirmWithinMs };
  return { spec, fault: kafkaBrokerFailureFault.create(spec as never) };
}

describe("kafka-broker-failure", () => {
  it("resolves the leader by role, journals the restart first, and shows leadership moved", async () => {
    const { spec, fault } = brokerFailure({ leaderOf: { topic: "loader-data", partition: 0 } });
    const harness = faultHarness<{ nodeId: number }>(spec);
    const plan = await fault.plan(harness.plan);
    expect(plan.targets.map((target) => target.id)).toEqual(["broker 2"]);
    expect(plan.notes[0]).toBe("leader of loader-data-0 is broker 2");
    const order: string[] = [];
    harness.ctx.journal.record = async (action) => {
      order.push(`journal start ${action.nodeId}`);
      harness.journaled.push({ action, description: "" });
    };
    const kill = harness.lab.brokers.kill;
    harness.lab.brokers.kill = async (...args) => {
      order.push("kill");
      return kill(...args);
    };
    const evidence = await fault.inject(harness.ctx);
    expect(order).toEqual(["journal start 2", "kill"]);
    expect(harness.lab.calls).toEqual(["kill 2 crash"]);
    expect(evidence.summary).toContain("loader-data-0: leader 2 → 3");
    await kafkaBrokerFailureFault.revert({ nodeId: 2 }, { lab: harness.lab, kube: harness.ports.kube, kafka: harness.ports.kafka, clock: harness.ctx.clock, log: harness.ctx.log });
    expect(await kafkaBrokerFailureFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: [] })).toEqual([]);
  });

  it("audits a broker left down", async () => {
    const { spec, fault } = brokerFailure({ nodeIds: [1] }, { shutdown: "graceful" });
    const harness = faultHarness<{ nodeId: number }>(spec);
    await fault.inject(harness.ctx);
    expect(harness.lab.calls).toEqual(["kill 1 graceful"]);
    expect(await kafkaBrokerFailureFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: [] })).toEqual([
      expect.objectContaining({ what: "broker 1 is down" }),
    ]);
  });

  it("is inconclusive when the metadata does not change (the kill did not take)", async () => {
    const { spec, fault } = brokerFailure({ nodeIds: [1] }, {}, 300);
    const harness = faultHarness<{ nodeId: number }>(spec);
    harness.lab.brokers.kill = async () => undefined;
    await expect(fault.inject(harness.ctx)).rejects.toThrow(NoEvidenceError);
  });

  it("keeps within the safety policy: one broker of three is 33%", async () => {
    const { spec, fault } = brokerFailure({ all: true, mode: "count", count: 2 });
    const harness = faultHarness(spec, { safety: { maxTargets: 2, maxPercent: 34 } });
    expect((await fault.plan(harness.plan)).safety.violations).toEqual(["2 of 3 candidates (67%) selected, safety.maxPercent is 34"]);
  });

  it("rejects an unknown node id", async () => {
    const { spec, fault } = brokerFailure({ nodeIds: [7] });
    await expect(fault.plan(faultHarness(spec).plan)).rejects.toThrow("no broker with node id 7 (the lab has 1, 2, 3)");
  });

  it("evidence: ISR shrink, or a broker without replicas leaving the metadata", () => {
    const before = [{ topic: "t", partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2] }];
    expect(brokerFailureEvidence([2], before, [{ ...before[0]!, isr: [1] }], [1])).toEqual(["t-0: ISR [1,2] → [1]"]);
    expect(brokerFailureEvidence([3], before, before, [1, 2])).toEqual(["broker 3 left the cluster metadata"]);
    expect(brokerFailureEvidence([2], before, before, [1, 2])).toEqual([]);
  });
});

describe("kafka-broker-failure on the active controller", () => {
  it("resolves the KRaft quorum leader, stops it, and proves the quorum leader moved", async () => {
    const { spec, fault } = brokerFailure({ activeController: true });
    const harness = faultHarness<{ nodeId: number }>(spec);
    harness.ports.kafka.quorumLeader = async () => (harness.lab.stopped.has(3) ? 1 : 3);
    const plan = await fault.plan(harness.plan);
    expect(plan.targets.map((target) => target.id)).toEqual(["broker 3"]);
    expect(plan.notes[0]).toBe("active controller (KRaft quorum leader) is broker 3");
    const evidence = await fault.inject(harness.ctx);
    expect(harness.lab.calls).toEqual(["kill 3 crash"]);
    expect(evidence.summary).toContain("KRaft quorum leader 3 → 1");
  });

  it("is inconclusive while the stopped broker is still reported as quorum leader", async () => {
    const { spec, fault } = brokerFailure({ activeController: true }, {}, 300);
    const harness = faultHarness<{ nodeId: number }>(spec);
    harness.ports.kafka.quorumLeader = async () => 3;
    await expect(fault.inject(harness.ctx)).rejects.toThrow(NoEvidenceError);
  });
});
