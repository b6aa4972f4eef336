import { describe, expect, it } from "vitest";
import { podDeleteFault } from "./pod-delete.ts";
import { NoEvidenceError } from "./fault.ts";
import { faultHarness } from "../testing/contexts.ts";
import { fakePod } from "../testing/fake-lab.ts";
import { SafetyViolationError } from "../core/safety.ts";

function podDelete(target: Record<string, unknown>, params: Record<string, unknown> = {}) {
  const spec = { name: "kill", type: "pod-delete", target: podDeleteFault.target.parse(target), params: podDeleteFault.params.parse(params) };
  return { spec, fault: podDeleteFault.create(spec as never) };
}

describe("pod-delete", () => {
  it("plans exactly the pod it would delete, and deleting hits the same pod (same seed)", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader", mode: "one" }, { force: true });
    const harness = faultHarness<never>(spec);
    harness.ports.kube.pods = ["loader-1-a", "loader-2-b", "loader-3-c"].map((name) => fakePod(name));
    const plan = await fault.plan(harness.plan);
    expect(plan.targets).toHaveLength(1);
    expect(plan.safety.ok).toBe(true);
    expect(plan.candidates).toBe(3);
    const evidence = await fault.inject(harness.ctx);
    expect(harness.ports.kube.calls).toEqual([`deletePod ${plan.targets[0]!.id} uid=${plan.targets[0]!.uid} grace=0`]);
    expect(evidence.summary).toContain("every deleted UID is gone");
    expect(harness.injectedAt).toBeDefined();
  });

  it("re-selects on every iteration: pods come back with new names", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader" }, { iterations: 3, interval: "10ms" });
    const harness = faultHarness<never>(spec);
    let generation = 0;
    harness.ports.kube.pods = [fakePod("loader-1-a")];
    harness.ports.kube.onPodDeleted = () => harness.ports.kube.pods.push(fakePod(`loader-1-gen${++generation}`));
    const evidence = await fault.inject(harness.ctx);
    const deleted = (evidence.observations.deleted as { name: string }[]).map((pod) => pod.name);
    expect(deleted).toEqual(["loader-1-a", "loader-1-gen1", "loader-1-gen2"]);
    expect(harness.ports.kube.calls.every((call) => call.includes("grace=default"))).toBe(true);
  });

  it("is inconclusive when the pod does not go away (e.g. a finalizer holds it)", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader" });
    const harness = faultHarness<never>({ ...spec, confirmWithinMs: 300 });
    const stuck = fakePod("loader-1-a");
    harness.ports.kube.pods = [stuck];
    harness.ports.kube.onPodDeleted = (pod) => harness.ports.kube.pods.push({ ...pod, terminating: true });
    await expect(fault.inject(harness.ctx)).rejects.toThrow(NoEvidenceError);
  });

  it("counts a pod recreated under the same name with a new UID as gone (StatefulSet)", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader" });
    const harness = faultHarness<never>(spec);
    harness.ports.kube.pods = [fakePod("kafka-0")];
    harness.ports.kube.onPodDeleted = (pod) => harness.ports.kube.pods.push(fakePod(pod.name));
    await expect(fault.inject(harness.ctx)).resolves.toMatchObject({ summary: expect.stringContaining("1 pod(s) deleted") });
  });

  it("refuses pods that are not opted in, in the plan and at injection, and deletes nothing", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader" });
    const harness = faultHarness<never>(spec);
    harness.ports.kube.pods = [fakePod("loader-1-a", { labels: { app: "loader" } })];
    const plan = await fault.plan(harness.plan);
    expect(plan.safety.violations[0]).toContain("not opted in");
    await expect(fault.inject(harness.ctx)).rejects.toThrow(SafetyViolationError);
    expect(harness.ports.kube.calls).toEqual([]);
  });

  it("refuses more targets than safety.maxTargets", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", selector: "app=loader", mode: "count", count: 2 });
    const harness = faultHarness<never>(spec, { safety: { maxTargets: 1 } });
    harness.ports.kube.pods = [fakePod("a"), fakePod("b"), fakePod("c")];
    expect((await fault.plan(harness.plan)).safety.violations).toEqual(["2 targets selected, safety.maxTargets is 1"]);
  });

  it("finds pods of a named workload through its selector", async () => {
    const { spec, fault } = podDelete({ namespace: "streamforge", workload: { kind: "Deployment", name: "arango-connector" } });
    const harness = faultHarness<never>(spec);
    harness.ports.kube.objects = [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "arango-connector", namespace: "streamforge" }, spec: { selector: { matchLabels: { app: "arango-connector" } } } }];
    harness.ports.kube.pods = [fakePod("loader-1-a"), fakePod("arango-connector-x", { labels: { app: "arango-connector", "chaoslab.streamforge.io/chaos-target": "true" } })];
    expect((await fault.plan(harness.plan)).targets.map((target) => target.id)).toEqual(["streamforge/arango-connector-x"]);
  });

  it("rejects a target with both selector and workload", () => {
    expect(podDeleteFault.target.safeParse({ namespace: "x", selector: "a=b", workload: { kind: "Job", name: "j" } }).success).toBe(false);
  });
});
