/**
 * Every provider's StartedLab answers every capability the harness asks, and the same fixture scenarios
 * run through the engine on each — on a model of what this machine can really reach, not on what the
 * provider claims. The model is built from the cluster's own configuration (kind's published ports, the
 * NodePort Services in front of Toxiproxy; for `existing`, the ports a user publishes and declares), so a
 * provider that hands the harness an in-cluster name (`kafka-proxy.kafka.svc:29092`) or a URL nothing
 * serves fails here, as it would on a real machine.
 *
 * Underneath each provider only its own edges are faked: the command runner (kind, kubectl), Toxiproxy's
 * HTTP API, and an API server speaking plain HTTP. The provider code itself is the real one.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { LabDescription, StartedLab } from "../cluster/provider.ts";
import { FakeCommandRunner } from "../cluster/testing/fake-command-runner.ts";
import { FAKE_CONTAINER_ID, fakeKindPod, scriptKindNode } from "../cluster/testing/fake-kind-node.ts";
import { publishedHostPorts } from "../cluster/kind/config.ts";
import { REPO_ROOT } from "../cluster/images.ts";
import { createProvider as createKindProvider } from "../cluster/providers/kind.ts";
import { createProvider as createExistingProvider } from "../cluster/providers/existing.ts";
import { DEFAULT_CATALOG } from "./catalog.ts";
import { systemClock } from "./core/clock.ts";
import { silentLog } from "./core/context.ts";
import { runScenario } from "./engine/runner.ts";
import type { RttMeter } from "./core/ports.ts";
import { parseScenario, formatDiagnostic } from "./scenario/loader.ts";
import { FakeKube, FakeLab, fakePorts, fakePod } from "./testing/fake-lab.ts";
import { temporaryDir } from "./testing/contexts.ts";

/** What this machine reaches: loopback ports, and which Toxiproxy proxy (if any) each one passes through. */
interface HostNetwork {
  reachable: Map<number, { proxy?: string }>;
}

/** kind publishes only its extraPortMappings; a NodePort behind one of them may front a Toxiproxy proxy. */
function kindHostNetwork(): HostNetwork {
  const documents = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, "cluster/manifests/kind/toxiproxy.yaml"), "utf8")).map((document) => document.toJS() as Record<string, any>);
  const proxies = JSON.parse(documents.find((object) => object.kind === "ConfigMap")!.data["toxiproxy.json"]) as { name: string; listen: string }[];
  const containerPorts = new Map<string, number>(
    (documents.find((object) => object.kind === "Deployment")!.spec.template.spec.containers[0].ports as { name: string; containerPort: number }[]).map((port) => [port.name, port.containerPort]),
  );
  const behindNodePort = new Map<number, string>();
  for (const service of documents.filter((object) => object.kind === "Service" && object.spec.type === "NodePort")) {
    for (const port of service.spec.ports as { nodePort: number; targetPort: string }[]) {
      const listen = containerPorts.get(port.targetPort);
      const proxy = proxies.find((candidate) => candidate.listen.endsWith(`:${listen}`));
      if (proxy) behindNodePort.set(port.nodePort, proxy.name);
    }
  }
  return { reachable: new Map(publishedHostPorts().map((port) => [port, { proxy: behindNodePort.get(port) }])) };
}

/** An in-memory Toxiproxy API (proxies by name, toxics by name). */
function fakeToxiproxy(proxyNames: string[]) {
  const toxics = new Map<string, Map<string, { type: string; attributes: Record<string, number> }>>(proxyNames.map((name) => [name, new Map()]));
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const parts = url.pathname.split("/").filter(Boolean);
    const method = init?.method ?? "GET";
    if (parts.length === 1 && parts[0] === "proxies") {
      return Response.json(Object.fromEntries([...toxics].map(([name, list]) => [name, { name, listen: "", upstream: "", enabled: true, toxics: [...list].map(([toxic, body]) => ({ name: toxic, ...body })) }])));
    }
    const proxy = toxics.get(parts[1] ?? "");
    if (!proxy) return new Response("proxy not found", { status: 404 });
    if (method === "POST") {
      const body = JSON.parse(String(init!.body)) as { name: string; type: string; attributes: Record<string, number> };
      proxy.set(body.name, body);
      return Response.json(body);
    }
    if (method === "DELETE") return proxy.delete(decodeURIComponent(parts[3]!)) ? new Response(null, { status: 204 }) : new Response("not found", { status: 404 });
    return new Response("unexpected", { status: 400 });
  }) as typeof fetch;
  return { fetchImpl, toxics };
}

/** Round trips as this machine would see them: refused where nothing is published, slowed by the proxy's toxics. */
function modelRtt(network: HostNetwork, toxiproxy: ReturnType<typeof fakeToxiproxy>): RttMeter {
  return {
    async measure(address, samples) {
      const route = address.host === "127.0.0.1" ? network.reachable.get(address.port) : undefined;
      if (!route) throw new Error(`connect ECONNREFUSED ${address.host}:${address.port} (not reachable from this machine)`);
      const toxics = route.proxy ? [...(toxiproxy.toxics.get(route.proxy)?.values() ?? [])] : [];
      if (toxics.some((toxic) => toxic.type === "timeout")) throw new Error(`no Kafka response from ${address.host}:${address.port} (the proxy drops the data)`);
      const added = toxics.filter((toxic) => toxic.type === "latency").reduce((sum, toxic) => sum + toxic.attributes.latency!, 0);
      return Array.from({ length: samples }, () => 2 + added);
    },
  };
}

const LATENCY_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: conformance-latency}
spec:
  timeout: 30s
  seed: 3
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [2]}
      params: {latency: 100ms}
      duration: 300ms
`;

const PARTITION_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: conformance-partition}
spec:
  timeout: 30s
  seed: 3
  faults:
    - type: network-partition
      name: cut
      target: {nodeIds: [2]}
      duration: 300ms
`;

const POD_DELETE_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: conformance-pod-delete}
spec:
  timeout: 30s
  seed: 3
  faults:
    - type: pod-delete
      name: kill
      target: {namespace: streamforge, selector: app=loader}
      params: {force: true}
`;

const FREEZE_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: conformance-freeze}
spec:
  timeout: 30s
  faults:
    - {type: process-freeze, name: freeze, target: {namespace: streamforge, selector: app=loader}, duration: 300ms}
`;

const CANARY_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: conformance-canary}
spec:
  timeout: 60s
  setup:
    - canary:
        manifests: ../workloads/queue-manager/manifests
        release: {image: chaoslab/queue-manager:v2-bad}
  expect:
    - rollout: {name: queue-manager, expect: rolled-back, within: 50s}
`;

async function runFixture(lab: StartedLab, text: string, rtt?: RttMeter, pods = [fakePod("loader-1-a")]) {
  const loaded = parseScenario(text, "/fixtures/conformance.yaml", DEFAULT_CATALOG);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  // Kubernetes and the instruments' Kafka are the same fakes for every provider: what differs is the lab.
  const ports = fakePorts(new FakeLab(), new FakeKube());
  ports.kube.pods = pods;
  ports.kube.onPodDeleted = () => ports.kube.pods.push(fakePod("loader-1-b"));
  return runScenario(loaded, {
    catalog: DEFAULT_CATALOG,
    lab,
    ports: { ...ports, rtt: rtt ?? ports.rtt },
    recorders: [],
    clock: systemClock,
    journalDir: await temporaryDir("conformance-journal"),
    log: silentLog,
  });
}

/** kubectl as it answers for a healthy Strimzi Kafka of three brokers (what the leak audit asks). */
function strimziRunner(): FakeCommandRunner {
  const pods = [1, 2, 3].map((id) => `chaoslab-dual-role-${id}`);
  return new FakeCommandRunner()
    .on(/^kubectl get strimzipodsets/, { stdout: JSON.stringify({ items: [{ metadata: { name: "chaoslab-dual-role", labels: {} }, spec: { pods: pods.map((name) => ({ metadata: { name } })) } }] }) })
    .on(/^kubectl get pods/, {
      stdout: JSON.stringify({ items: pods.map((name, index) => ({ metadata: { name, uid: `u${index}` }, status: { phase: "Running", containerStatuses: [{ name: "kafka", state: { running: {} } }] } })) }),
    });
}

/** An API server that speaks plain HTTP: one Service with a ready endpoint, and its proxy path. */
async function fakeApiServer(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const url = request.url ?? "";
    if (url.startsWith("/api/v1/namespaces/streamforge/services/queue-manager:http/proxy")) {
      response.end(`served ${url.slice(url.indexOf("/proxy") + "/proxy".length) || "/"}`);
    } else if (url.startsWith("/api/v1/namespaces/streamforge/services/queue-manager")) {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "queue-manager", namespace: "streamforge" }, spec: { ports: [{ name: "http", port: 8080 }] } }));
    } else if (url.startsWith("/apis/discovery.k8s.io/v1/namespaces/streamforge/endpointslices")) {
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSliceList",
          metadata: {},
          items: [{ metadata: { name: "queue-manager-abc", labels: { "kubernetes.io/service-name": "queue-manager" } }, addressType: "IPv4", endpoints: [{ addresses: ["10.244.0.7"], conditions: { ready: true } }] }],
        }),
      );
    } else {
      response.statusCode = 404;
      response.end(JSON.stringify({ kind: "Status", code: 404 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function kubeconfigFor(server: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    // Plain HTTP stands in for the API server here; client-node insists on saying so.
    "clusters: [{name: c, cluster: {server: " + server + ", insecure-skip-tls-verify: true}}]",
    "users: [{name: u, user: {token: conformance}}]",
    "contexts: [{name: x, context: {cluster: c, user: u}}]",
    "current-context: x",
    "",
  ].join("\n");
}

async function labJson(stateDir: string, description: Partial<LabDescription> & Pick<LabDescription, "provider">, apiServer: string): Promise<void> {
  await fsp.mkdir(stateDir, { recursive: true });
  await fsp.writeFile(path.join(stateDir, "kubeconfig"), kubeconfigFor(apiServer));
  const full: LabDescription = {
    stateDir,
    kubeconfig: path.join(stateDir, "kubeconfig"),
    apiServer,
    kafka: { bootstrapDirect: ["127.0.0.1:30090"], bootstrapWorkloads: ["kafka-proxy.kafka.svc:29091"], nodeIds: [1, 2, 3] },
    namespaces: ["streamforge", "kafka"],
    features: { argoRollouts: true },
    versions: {},
    startedAt: "2026-12-04T00:00:00.000Z",
    ...description,
  };
  await fsp.writeFile(path.join(stateDir, "lab.json"), JSON.stringify(full));
}

const CAPABILITIES: Record<string, string[]> = {
  brokers: ["list", "kill", "start"],
  network: ["addToxic", "removeToxic", "listToxics", "brokerPaths"],
  services: ["hostUrl", "controllerUrl", "endpointSlices", "applyCopies"],
  tools: ["k6"],
};

function expectEveryCapability(lab: StartedLab) {
  for (const [group, methods] of Object.entries(CAPABILITIES)) {
    for (const method of methods) expect(typeof (lab as unknown as Record<string, Record<string, unknown>>)[group]?.[method], `${group}.${method}`).toBe("function");
  }
  expect(typeof lab.status).toBe("function");
  expect(typeof lab.down).toBe("function");
  expect(lab.description.stateDir).toBeTruthy();
}

let api: Awaited<ReturnType<typeof fakeApiServer>>;
beforeAll(async () => {
  api = await fakeApiServer();
});
afterAll(async () => {
  await api.close();
});

describe("provider conformance: kind", () => {
  async function kindLab(nodePods: ReturnType<typeof fakeKindPod>[] = []) {
    const stateDir = await fsp.mkdtemp(path.join(os.tmpdir(), "conformance-kind-"));
    await labJson(stateDir, { provider: "kind", toxiproxy: { api: "http://127.0.0.1:30474" } }, api.url);
    const runner = strimziRunner().on("kind get clusters", { stdout: "chaoslab\n" });
    const node = scriptKindNode(runner, nodePods);
    const toxiproxy = fakeToxiproxy(["kafka-broker-1", "kafka-broker-2", "kafka-broker-3"]);
    // The upstream-image lab, whatever this machine's cache holds: an air-gapped build recorded in
    // ~/.cache/chaoslab (a warm CI cache) must not change what this test describes.
    const imageMode = { kind: "online", why: "conformance test: upstream images" } as const;
    const lab = await createKindProvider({ runner: runner.run, fetch: toxiproxy.fetchImpl, stateDir, imageMode, log: () => undefined }).attach();
    if (!lab) throw new Error("the kind provider did not attach to the described lab");
    return { lab, toxiproxy, node };
  }

  it("answers every capability", async () => {
    expectEveryCapability((await kindLab()).lab);
  });

  it("network-latency: the proof dials only ports kind publishes, and sees the toxic there", async () => {
    const { lab, toxiproxy } = await kindLab();
    const result = await runFixture(lab, LATENCY_SCENARIO, modelRtt(kindHostNetwork(), toxiproxy));
    expect(result.reasons).toEqual([]);
    expect(result.verdict).toBe("passed");
    expect(result.faults[0]!.evidence?.summary).toContain("workloads→2 +100ms");
  });

  it("pod-delete runs on the provider's lab like on any other", async () => {
    const result = await runFixture((await kindLab()).lab, POD_DELETE_SCENARIO);
    expect(result.verdict, JSON.stringify(result.reasons)).toBe("passed");
  });

  it("process-freeze pauses the pod's container through the node's containerd, proves it from the node, and resumes it", async () => {
    const pod = fakePod("loader-1-a");
    const { lab, node } = await kindLab([fakeKindPod(pod)]);
    const result = await runFixture(lab, FREEZE_SCENARIO, undefined, [pod]);
    expect(result.verdict, JSON.stringify(result.reasons)).toBe("passed");
    expect(result.faults[0]!.evidence?.summary).toBe(
      `1 pod(s) of streamforge/-l app=loader frozen: streamforge/loader-1-a (containerd://${FAKE_CONTAINER_ID}, state 3779:D 3790:D; containerd task PAUSED, freezer.state FROZEN)`,
    );
    expect([node.pauses, node.status]).toEqual([1, "RUNNING"]);
    expect(result.leaks).toEqual([]);
  });

  it("canary: Services are reached through the API server from here; the in-cluster controller keeps the manifests' names", async () => {
    const { lab } = await kindLab();
    const url = await lab.services.hostUrl("streamforge", "queue-manager", { ready: true, timeoutMs: 2_000 });
    expect(new URL(url).hostname).toBe("127.0.0.1");
    expect(await (await fetch(`${url}/enqueue`)).text()).toBe("served /enqueue");
    expect(api.requests).toContain("GET /api/v1/namespaces/streamforge/services/queue-manager:http/proxy/enqueue");
    expect(await lab.services.controllerUrl("streamforge", "queue-manager-metrics")).toBeUndefined();
    expect((await lab.services.endpointSlices("streamforge", "queue-manager"))[0]?.endpoints?.[0]?.addresses).toEqual(["10.244.0.7"]);
  });
});

describe("provider conformance: existing", () => {
  async function existingLab(env: Record<string, string>) {
    const stateDir = await fsp.mkdtemp(path.join(os.tmpdir(), "conformance-existing-"));
    await labJson(stateDir, { provider: "existing", toxiproxy: env.CHAOSLAB_TOXIPROXY_API ? { api: env.CHAOSLAB_TOXIPROXY_API } : undefined }, api.url);
    const toxiproxy = fakeToxiproxy(["kafka-broker-1", "kafka-broker-2", "kafka-broker-3"]);
    const lab = await createExistingProvider({ runner: strimziRunner().run, fetch: toxiproxy.fetchImpl, stateDir, env, log: () => undefined }).attach();
    if (!lab) throw new Error("the existing provider did not attach to the described lab");
    return { lab, toxiproxy };
  }

  // What a user of a staging cluster publishes and declares (README): each proxy and each broker on a port of its own.
  const published: HostNetwork = {
    reachable: new Map([
      ...[1, 2, 3].map((id) => [40090 + id, { proxy: `kafka-broker-${id}` }] as const),
      ...[1, 2, 3].map((id) => [40190 + id, {}] as const),
    ]),
  };
  const declared = {
    CHAOSLAB_TOXIPROXY_API: "http://127.0.0.1:40474",
    CHAOSLAB_KAFKA_PATHS: [1, 2, 3].map((id) => `${id}=127.0.0.1:${40090 + id}/127.0.0.1:${40190 + id}`).join(","),
  };

  it("answers every capability", async () => {
    expectEveryCapability((await existingLab(declared)).lab);
  });

  it("process-freeze is skipped with the reason (no access to the cluster's nodes), never broken", async () => {
    const result = await runFixture((await existingLab(declared)).lab, FREEZE_SCENARIO);
    expect([result.verdict, result.faults[0]!.verdict]).toEqual(["skipped", "skipped"]);
    expect(result.reasons[0]?.message).toMatch(/the existing lab cannot stop a pod's processes: that needs the nodes' container runtime/);
  });

  it("network-latency with Toxiproxy and declared paths: proven on the declared ports", async () => {
    const { lab, toxiproxy } = await existingLab(declared);
    const result = await runFixture(lab, LATENCY_SCENARIO, modelRtt(published, toxiproxy));
    expect(result.verdict, JSON.stringify(result.reasons)).toBe("passed");
  });

  it("network-latency without Toxiproxy is skipped with the reason, never broken", async () => {
    const { lab, toxiproxy } = await existingLab({});
    const result = await runFixture(lab, LATENCY_SCENARIO, modelRtt(published, toxiproxy));
    expect(result.verdict).toBe("skipped");
    expect(result.reasons[0]?.message).toMatch(/need Toxiproxy in front of the brokers/);
  });

  it("network-partition with Toxiproxy and declared paths: the cut shows on broker 2's declared proxy port only", async () => {
    const { lab, toxiproxy } = await existingLab(declared);
    const result = await runFixture(lab, PARTITION_SCENARIO, modelRtt(published, toxiproxy));
    expect(result.verdict, JSON.stringify(result.reasons)).toBe("passed");
    expect(result.faults[0]!.evidence!.summary).toMatch(/^round trips fail on the cut path\(s\) workloads→2 .*; the controls still answer: direct→2 2ms, workloads→1 2ms, workloads→3 2ms$/);
    expect([...toxiproxy.toxics.values()].every((list) => list.size === 0)).toBe(true);
  });

  it("network-partition without Toxiproxy is skipped with the reason, never broken", async () => {
    const { lab, toxiproxy } = await existingLab({});
    const result = await runFixture(lab, PARTITION_SCENARIO, modelRtt(published, toxiproxy));
    expect(result.verdict).toBe("skipped");
    expect(result.faults[0]!.verdict).toBe("skipped");
    expect(result.reasons[0]?.message).toMatch(/the existing lab has no Toxiproxy in front of the brokers/);
  });

  it("canary on a cluster without Argo Rollouts is skipped with the reason, never broken", async () => {
    const { lab } = await existingLab(declared);
    const withoutArgo = { ...lab, description: { ...lab.description, features: { argoRollouts: false } } } as StartedLab;
    const result = await runFixture(withoutArgo, CANARY_SCENARIO);
    expect(result.verdict).toBe("skipped");
    expect(result.reasons[0]?.message).toMatch(/Argo Rollouts is not installed/);
  });

  it("canary: the same Service access as kind", async () => {
    const { lab } = await existingLab(declared);
    const url = await lab.services.hostUrl("streamforge", "queue-manager", { timeoutMs: 2_000 });
    expect(await (await fetch(`${url}/healthz`)).text()).toBe("served /healthz");
    expect(await lab.services.controllerUrl("streamforge", "queue-manager-metrics")).toBeUndefined();
  });
});
