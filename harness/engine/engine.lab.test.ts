/**
 * The engine against the real lab: real Kubernetes and Kafka ports, the three required faults with their
 * evidence, recorders, the journal on interruption, and `plan`. Scenarios are written as YAML, as users
 * write them, and run through `runScenario`.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { planCommand } from "../cli/commands/plan.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { RevertJournal, catalogReverters } from "../core/journal.ts";
import { runScenario } from "./runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import { CHAOS_OPT_IN_LABEL } from "../core/safety.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { KubeWatchRecorder } from "../recorders/kube-watch-recorder.ts";
import { QueueEventsRecorder } from "../recorders/queue-events-recorder.ts";
import { parseScenario, formatDiagnostic } from "../scenario/loader.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
const app = uniqueName("chaos-target");
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "engine-lab-"));
  await fixture.apps.createNamespacedDeployment({
    namespace: "streamforge",
    body: {
      metadata: { name: app, labels: { app } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app, [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value } },
          spec: { containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10" }] },
        },
      },
    },
  });
});

afterAll(async () => {
  await fixture.apps.deleteNamespacedDeployment({ namespace: "streamforge", name: app }).catch(() => undefined);
  await ports.close();
});

async function run(name: string, spec: string, options: { signal?: AbortSignal } = {}): Promise<ScenarioResult> {
  const file = path.join(workDir, `${name}.yaml`);
  await fs.writeFile(file, `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}}\nspec:\n${spec}`);
  const loaded = parseScenario(await fs.readFile(file, "utf8"), file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, {
    catalog: DEFAULT_CATALOG,
    lab: fixture.lab,
    ports,
    recorders: [new KubeWatchRecorder(fixture.description.kubeconfig), new QueueEventsRecorder(fixture.description.kafka.bootstrapDirect)],
    clock: systemClock,
    journalDir: path.join(workDir, "journal"),
    log: silentLog,
    signal: options.signal,
  });
}

const explain = (result: ScenarioResult) => JSON.stringify({ reasons: result.reasons, faults: result.faults, expectations: result.expectations }, null, 2);

describe("the engine's ports on the real lab", () => {
  it("Kubernetes: lists the target pods with their UIDs and opt-in labels", async () => {
    await expect.poll(async () => (await ports.kube.listPods("streamforge", `app=${app}`)).filter((pod) => pod.phase === "Running").length, { timeout: 60_000 }).toBe(2);
    const [pod] = await ports.kube.listPods("streamforge", `app=${app}`);
    expect(pod!.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod!.owner?.kind).toBe("ReplicaSet");
    expect(await ports.kube.getPod("streamforge", "no-such-pod")).toBeUndefined();
  });

  it("Kafka: brokers on both paths, partition states, and no lag data for an unknown group", async () => {
    expect((await ports.kafka.brokers()).map((broker) => broker.nodeId)).toEqual(fixture.description.kafka.nodeIds);
    expect((await ports.kafkaWorkloads.brokers()).map((broker) => broker.nodeId)).toEqual(fixture.description.kafka.nodeIds);
    const partitions = await ports.kafka.partitions(["loader-data"]);
    expect(partitions.length).toBeGreaterThan(0);
    expect(partitions.every((partition) => partition.replicas.length === 3)).toBe(true);
    expect(await ports.kafka.groupLag(uniqueName("no-such-group"))).toBeUndefined();
  });

  it("RTT meter: answers with a Kafka round trip on the direct path", async () => {
    const [broker] = await ports.kafka.brokers();
    const samples = await ports.rtt.measure(broker!, 3);
    expect(samples).toHaveLength(3);
    expect(Math.max(...samples)).toBeLessThan(1_000);
  });
});

describe("faults end to end", () => {
  it("pod-delete: the target's UID is gone, the Deployment recovers, the recorder saw it", async () => {
    const result = await run("lab-pod-delete", `  timeout: 3m
  seed: 11
  safety: {allowedNamespaces: [streamforge], maxTargets: 1}
  steadyState:
    - probe: {k8s.object: {apiVersion: apps/v1, kind: Deployment, namespace: streamforge, name: ${app}, match: {status: {readyReplicas: 2}}}}
      timeout: 60s
  faults:
    - type: pod-delete
      name: kill
      target: {namespace: streamforge, selector: app=${app}, mode: one}
      params: {force: true}
  expect:
    - k8s.object: {apiVersion: apps/v1, kind: Deployment, namespace: streamforge, name: ${app}, match: {status: {readyReplicas: 2}}, since: kill, within: 60s, stableFor: 2s}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    const deleted = result.timeline.entries.filter((entry) => entry.kind === "object" && entry.change === "deleted" && entry.objectKind === "Pod");
    expect(deleted.length).toBeGreaterThanOrEqual(1);
  });

  it("network-latency: the workloads' path slows down, the direct path does not, and the toxic is gone after", async () => {
    const result = await run("lab-latency", `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [1]}
      params: {latency: 200ms}
      duration: 3s
  expect:
    - kafka.underReplicated: {max: 0}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    expect(result.faults[0]!.evidence!.summary).toContain("workloads→1");
    expect((await fixture.lab.network.listToxics()).filter((ref) => ref.name.startsWith("chaoslab-"))).toEqual([]);
  });

  it("kafka-broker-failure: leadership moves off the crashed leader and the cluster heals", async () => {
    const result = await run("lab-broker-crash", `  timeout: 5m
  safety: {maxTargets: 1, maxPercent: 34}
  faults:
    - type: kafka-broker-failure
      name: crash
      target: {leaderOf: {topic: loader-data, partition: 0}}
      params: {shutdown: crash}
      duration: 10s
  expect:
    - kafka.underReplicated: {max: 0, since: crash, within: 3m, stableFor: 5s, pollEvery: 2s}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    expect(result.faults[0]!.evidence!.summary).toMatch(/leader \d → \d|ISR/);
    expect((await fixture.lab.brokers.list()).every((broker) => broker.running)).toBe(true);
  });

  it("an interrupted run reverts its toxic before returning", async () => {
    const interrupt = new AbortController();
    const running = run("lab-interrupted", `  timeout: 2m
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [2]}
      params: {latency: 100ms}
      duration: 90s
`, { signal: interrupt.signal });
    await expect.poll(async () => (await fixture.lab.network.listToxics()).some((ref) => ref.name.includes("lab-interrupted") || ref.name.includes("-slow-")), { timeout: 30_000 }).toBe(true);
    interrupt.abort(new Error("SIGINT"));
    const result = await running;
    expect(result.verdict).toBe("broken");
    expect((await fixture.lab.network.listToxics()).filter((ref) => ref.name.startsWith("chaoslab-"))).toEqual([]);
    const journals = await RevertJournal.list(path.join(workDir, "journal"));
    for (const journal of journals) await journal.journal?.replay(catalogReverters(DEFAULT_CATALOG as never), { lab: fixture.lab, kube: ports.kube, clock: systemClock, log: silentLog });
    expect(journals).toEqual([]);
  });
});

describe("chaoslab plan on the real lab", () => {
  it("names the pod and the broker that would be hit, and touches nothing", async () => {
    const file = path.join(workDir, "plan.yaml");
    await fs.writeFile(file, `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: lab-plan}
spec:
  seed: 3
  safety: {maxTargets: 1, maxPercent: 50}
  faults:
    - type: pod-delete
      target: {namespace: streamforge, selector: app=${app}}
    - type: kafka-broker-failure
      target: {leaderOf: {topic: loader-data}}
      duration: 10s
`);
    const before = (await ports.kube.listPods("streamforge", `app=${app}`)).map((pod) => pod.uid).sort();
    const out: string[] = [];
    const code = await planCommand([file], { suiteDir: workDir }, { connect: async () => ({ lab: fixture.lab, ports, close: async () => undefined }) }, { out: (text) => out.push(text), err: (text) => out.push(text) });
    expect(code, out.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(new RegExp(`pod streamforge/${app}-`));
    expect(out.join("\n")).toMatch(/broker \d/);
    expect((await ports.kube.listPods("streamforge", `app=${app}`)).map((pod) => pod.uid).sort()).toEqual(before);
  });
});
