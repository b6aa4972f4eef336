import { describe, expect, it } from "vitest";
import { processFreezeFault } from "./process-freeze.ts";
import { NoEvidenceError, UnsupportedFaultError } from "./fault.ts";
import { faultHarness } from "../testing/contexts.ts";
import { FakeLab, fakePod } from "../testing/fake-lab.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { silentLog } from "../core/context.ts";
import { systemClock } from "../core/clock.ts";

type Action = { namespace: string; name: string; uid: string };

function freeze(target: Record<string, unknown>, confirmWithinMs = 2_000) {
  const spec = { name: "freeze", type: "process-freeze", target: processFreezeFault.target.parse(target), params: processFreezeFault.params.parse(undefined), durationMs: 400, confirmWithinMs };
  return { spec, fault: processFreezeFault.create(spec as never) };
}

function withPods(spec: Parameters<typeof faultHarness>[0], names = ["loader-1-a", "loader-2-b", "loader-3-c"], safety = {}) {
  const harness = faultHarness<Action>(spec, { safety });
  harness.ports.kube.pods = names.map((name) => fakePod(name));
  return harness;
}

const revertCtx = (lab: FakeLab, kube: Parameters<typeof processFreezeFault.revert>[1]["kube"]) => ({ lab, kube, clock: systemClock, log: silentLog });

describe("process-freeze", () => {
  it("plans the pod it would freeze, then journals it before the SIGSTOP and proves every process stopped", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader", mode: "one" });
    const harness = withPods(spec);
    const plan = await fault.plan(harness.plan);
    expect(plan.targets).toHaveLength(1);
    expect(plan.safety.ok).toBe(true);
    expect(plan.notes[1]).toBe("every process of the pod's container frozen (sim: SIGSTOP; kind: container paused) for 400ms, then continued");
    const order: string[] = [];
    harness.ctx.journal.record = async (action) => {
      order.push(`journal ${action.namespace}/${action.name}`);
      harness.journaled.push({ action, description: "" });
    };
    const freezeCall = harness.lab.processes.freeze;
    harness.lab.processes.freeze = async (pod) => {
      order.push(`freeze ${pod.namespace}/${pod.name}`);
      return freezeCall(pod);
    };
    const evidence = await fault.inject(harness.ctx);
    // The same seed hits the planned pod; the journal entry is written before the mutation.
    expect(order).toEqual([`journal ${plan.targets[0]!.id}`, `freeze ${plan.targets[0]!.id}`]);
    expect(harness.journaled[0]!.action).toEqual({ namespace: "streamforge", name: plan.targets[0]!.id.split("/")[1], uid: plan.targets[0]!.uid });
    expect(evidence.summary).toMatch(new RegExp(`^1 pod\\(s\\) of streamforge/-l app=loader frozen: ${plan.targets[0]!.id} \\(process://\\d+, state \\d+:T\\)$`));
    expect(harness.injectedAt).toBeDefined();
    await fault.watch!(harness.ctx, harness.ctx.clock.now() + 300);
  });

  it("reverts with SIGCONT from the journaled action alone, idempotently, and for a pod that is gone", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader", mode: "all" }, 2_000);
    const harness = withPods(spec, ["loader-1-a", "loader-2-b"], { maxTargets: 2, maxPercent: 100 });
    await fault.inject(harness.ctx);
    expect(harness.lab.frozen.size).toBe(2);
    expect(await processFreezeFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: ["streamforge"] })).toHaveLength(2);
    const [first, second] = harness.journaled.map((entry) => processFreezeFault.revertAction.parse(entry.action));
    harness.lab.goneProcesses.add(second!.uid);
    // A fresh process (chaoslab cleanup) gets only the parsed actions and a lab.
    for (const action of [first!, second!, first!]) await processFreezeFault.revert(action, revertCtx(harness.lab, harness.ports.kube));
    expect(harness.lab.frozen.size).toBe(0);
    expect(await processFreezeFault.audit!({ lab: harness.lab, kube: harness.ports.kube, namespaces: ["streamforge"] })).toEqual([]);
  });

  it("audits a frozen pod process as a leak with the fix", async () => {
    const lab = new FakeLab();
    await lab.processes.freeze({ namespace: "streamforge", name: "loader-1-a", uid: "uid-x" });
    const leaks = await processFreezeFault.audit!({ lab, kube: undefined as never, namespaces: [] });
    expect(leaks).toEqual([{ what: "pod streamforge/loader-1-a's process is stopped (process://105, state 105:T)", fix: "run `chaoslab cleanup`" }]);
  });

  it("negative control: a SIGCONT behind the harness's back mid-freeze makes it inconclusive", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader", mode: "one" });
    const harness = withPods(spec);
    await fault.inject(harness.ctx);
    const [victim] = [...harness.lab.frozen.keys()];
    setTimeout(() => harness.lab.frozen.delete(victim!), 100);
    const error = await fault.watch!(harness.ctx, harness.ctx.clock.now() + 2_000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoEvidenceError);
    expect((error as Error).message).toMatch(/^the freeze did not last: pod streamforge\/loader-\d-\w's process runs again \(processes \d+:S\): continued behind the harness's back before the 400ms were over$/);
  });

  it("is inconclusive when the pod's process goes away during the freeze, or never shows stopped", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader", mode: "one" }, 300);
    const harness = withPods(spec);
    await fault.inject(harness.ctx);
    harness.lab.goneProcesses.add([...harness.lab.frozen.keys()][0]!);
    await expect(fault.watch!(harness.ctx, harness.ctx.clock.now() + 2_000)).rejects.toThrow(/is gone \(the pod deleted, or its process exited or restarted\)/);

    const stuck = withPods(spec);
    stuck.lab.processes.freeze = async (pod) => (await stuck.lab.processes.inspect(pod))!;
    await expect(fault.inject(stuck.ctx)).rejects.toThrow(/not every process is stopped 300ms after the freeze: streamforge\/loader-\d-\w \(processes \d+:S\)/);
    expect(stuck.journaled).toHaveLength(1);
  });

  it("refuses pods that are not opted in, and freezes and journals nothing", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader" });
    const harness = faultHarness<Action>(spec);
    harness.ports.kube.pods = [fakePod("loader-1-a", { labels: { app: "loader" } })];
    expect((await fault.plan(harness.plan)).safety.ok).toBe(false);
    await expect(fault.inject(harness.ctx)).rejects.toThrow(SafetyViolationError);
    expect(harness.lab.calls).toEqual([]);
    expect(harness.journaled).toEqual([]);
  });

  it("is skipped with the reason on a lab that cannot stop pod processes (existing), and its revert and audit do nothing there", async () => {
    const { spec, fault } = freeze({ namespace: "streamforge", selector: "app=loader" });
    const lab = Object.assign(new FakeLab(), { processes: undefined, description: { ...new FakeLab().description, provider: "existing" as const } });
    const harness = faultHarness<Action>(spec, { lab: lab as unknown as FakeLab });
    harness.ports.kube.pods = [fakePod("loader-1-a")];
    const error = await fault.inject(harness.ctx).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedFaultError);
    expect((error as Error).message).toBe(
      "the existing lab cannot stop a pod's processes: that needs the nodes' container runtime (kind: containerd through the node container; sim: the pods' own processes), which this provider does not reach; the sim and kind providers can",
    );
    expect(harness.journaled).toEqual([]);
    await processFreezeFault.revert({ namespace: "streamforge", name: "loader-1-a", uid: "u" }, revertCtx(lab as unknown as FakeLab, harness.ports.kube));
    expect(await processFreezeFault.audit!({ lab: lab as unknown as FakeLab, kube: harness.ports.kube, namespaces: [] })).toEqual([]);
  });
});
