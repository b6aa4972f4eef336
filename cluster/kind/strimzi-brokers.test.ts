import { describe, expect, it } from "vitest";
import { FakeCommandRunner } from "../testing/fake-command-runner.ts";
import { Kubectl } from "./kubectl.ts";
import { StrimziBrokerHandles } from "./strimzi-brokers.ts";
import type { Clock } from "./wait.ts";

const podSets = {
  items: [{ metadata: { name: "chaoslab-dual-role" }, spec: { pods: [1, 2, 3].map((id) => ({ metadata: { name: `chaoslab-dual-role-${id}` } })) } }],
};

function pod(id: number, uid: string, phase = "Running", running = true) {
  return {
    metadata: { name: `chaoslab-dual-role-${id}`, uid },
    status: { phase, containerStatuses: [{ name: "kafka", state: running ? { running: {} } : { waiting: {} } }] },
  };
}

const clock: Clock = { now: (() => { let t = 0; return () => (t += 1000); })(), sleep: async () => {} };

function setup(pods: ReturnType<typeof pod>[]) {
  const runner = new FakeCommandRunner()
    .on("kubectl get strimzipodsets.core.strimzi.io", { stdout: JSON.stringify(podSets) })
    .on("kubectl get pods", { stdout: JSON.stringify({ items: pods }) });
  const handles = new StrimziBrokerHandles(new Kubectl(runner.run, "/state/kubeconfig"), { namespace: "kafka", kafkaName: "chaoslab" }, clock);
  return { runner, handles };
}

describe("Strimzi broker handles", () => {
  it("lists every node of the StrimziPodSets with whether its pod runs", async () => {
    const { runner, handles } = setup([pod(1, "a"), pod(2, "b", "Pending", false)]);
    expect(await handles.list()).toEqual([
      { nodeId: 1, running: true },
      { nodeId: 2, running: false },
      { nodeId: 3, running: false },
    ]);
    expect(runner.lines()).toEqual([
      "kubectl get strimzipodsets.core.strimzi.io --namespace kafka --selector strimzi.io/cluster=chaoslab,strimzi.io/kind=Kafka -o json",
      "kubectl get pods --namespace kafka --selector strimzi.io/cluster=chaoslab -o json",
    ]);
  });

  it("crash = force delete with grace period 0; graceful = the pod's own grace period", async () => {
    const { runner, handles } = setup([pod(1, "a"), pod(2, "b"), pod(3, "c")]);
    await handles.kill(2, "crash");
    await handles.kill(3, "graceful");
    expect(runner.lines().filter((line) => line.includes("delete"))).toEqual([
      "kubectl delete pod chaoslab-dual-role-2 --namespace kafka --wait=true --timeout=60s --grace-period=0 --force",
      "kubectl delete pod chaoslab-dual-role-3 --namespace kafka --wait=true --timeout=300s",
    ]);
  });

  it("start waits for Strimzi to recreate the pod: a new UID, running", async () => {
    const { runner, handles } = setup([pod(1, "a"), pod(2, "old"), pod(3, "c")]);
    await handles.kill(2, "crash");
    let polls = 0;
    runner.on("kubectl get pod chaoslab-dual-role-2", () => {
      polls += 1;
      if (polls === 1) return { stdout: "" };
      if (polls === 2) return { stdout: JSON.stringify(pod(2, "old")) };
      if (polls === 3) return { stdout: JSON.stringify(pod(2, "new", "Pending", false)) };
      return { stdout: JSON.stringify(pod(2, "new")) };
    });
    await handles.start(2);
    expect(polls).toBe(4);
    expect(runner.lines().at(-1)).toBe("kubectl get pod chaoslab-dual-role-2 --namespace kafka --ignore-not-found -o json");
  });

  it("names the node ids that exist when asked for one that does not", async () => {
    const { handles } = setup([pod(1, "a")]);
    await expect(handles.kill(7, "crash")).rejects.toThrow("Kafka kafka/chaoslab has no node 7; its node ids are 1, 2, 3 (from its StrimziPodSets). What to do: pick one of those node ids.");
  });

  it("refuses to kill a broker whose pod is already gone", async () => {
    const { handles } = setup([pod(1, "a")]);
    await expect(handles.kill(3, "graceful")).rejects.toThrow(/pod kafka\/chaoslab-dual-role-3 does not exist \(already down\?\)/);
  });

  it("times out with where to look when Strimzi does not bring the pod back", async () => {
    const { runner, handles } = setup([pod(1, "a")]);
    runner.on("kubectl get pod chaoslab-dual-role-1", { stdout: "" });
    await expect(handles.start(1)).rejects.toThrow(/Strimzi did not bring pod kafka\/chaoslab-dual-role-1 back within \d+s \(last seen: no pod yet\)\. What to do: look at `kubectl -n kafka describe pod chaoslab-dual-role-1`/);
  });
});
