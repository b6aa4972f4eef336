/**
 * The embedded lab: brings up etcd, the Kubernetes control plane, kwok, Argo Rollouts, Toxiproxy,
 * three Kafka nodes and the process runtime as supervised local processes, and hands back a
 * `StartedLab`. See ../../../shared/specs/sim-lab.md for the why of each piece.
 */
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import versions from "../versions.json" with { type: "json" };
import { REPO_ROOT } from "../images.ts";
import type {
  BrokerInfo,
  ComponentHealth,
  KafkaBrokerHandles,
  KafkaNetworkHandles,
  LabDescription,
  ServiceAccess,
  StartedLab,
  ToolAccess,
  UpOptions,
} from "../provider.ts";
import { labDescriptionSchema } from "../provider.ts";
import { apiErrorCode, apiErrorMessage, applyObjects, loadKubeConfig, readManifests } from "../kube/apply.ts";
import { allLabPorts, FAKE_NODE_NAMES, KAFKA_NODE_IDS, LOOPBACK, NAMESPACES, PORTS, stateDir, statePaths } from "./layout.ts";
import { ensurePki, writeKubeconfig, type Pki } from "./pki.ts";
import { builtComponentDirs, provision } from "./provision.ts";
import { canConnect, isAlive, killGroup, portsInUse, Supervisor, waitUntil } from "./supervisor.ts";
import {
  apiServerSpec,
  argoRolloutsSpec,
  controllerManagerSpec,
  etcdSpec,
  kwokSpec,
  schedulerSpec,
  type ControlPlaneInputs,
} from "./control-plane.ts";
import { writeKwokConfig } from "./kwok-config.ts";
import { bootstrapDirect, bootstrapWorkloads, kafkaNodeName, kafkaNodeSpec, prepareKafka, type KafkaLayout } from "./kafka-nodes.ts";
import { ToxiproxyApi } from "../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../network/toxiproxy-network.ts";
import { provideK6 } from "../tools/k6.ts";
import { derivedEndpointSlices } from "./derived-endpoints.ts";
import { simServiceUrl } from "./service-proxy/service-urls.ts";
import { LAB_TOPICS } from "../topics.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/namespace.ts";

/** Start order; `down` stops in reverse, so nothing is left talking to a stopped dependency. */
export const SIM_COMPONENTS = [
  "etcd",
  "toxiproxy",
  ...KAFKA_NODE_IDS.map(kafkaNodeName),
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "argo-rollouts",
  "process-runtime",
  "service-proxy",
] as const;

const proxyName = (nodeId: number) => `kafka-${nodeId}-apps`;

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function httpsGet(url: string, pki?: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      pki
        ? // Read on every call: a new `up` in the same process regenerates the PKI at the same paths.
          { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey), timeout: 2_000 }
        : // Controller-manager and scheduler serve self-signed certs on their health ports.
          { rejectUnauthorized: false, timeout: 2_000 },
      (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}


async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export class SimLab implements StartedLab {
  readonly brokers: KafkaBrokerHandles;
  readonly network: KafkaNetworkHandles;
  readonly services: ServiceAccess;
  readonly tools: ToolAccess;
  private readonly supervisor: Supervisor;
  private readonly toxiproxy: ToxiproxyApi;
  private readonly kafkaLayout: Promise<KafkaLayout>;

  constructor(readonly description: LabDescription) {
    const paths = statePaths(description.stateDir);
    this.supervisor = new Supervisor(paths.pids, paths.logs);
    this.toxiproxy = new ToxiproxyApi(description.toxiproxy!.api);
    this.kafkaLayout = builtComponentDirs(["kafka"]).then((dirs) => ({ libsDir: path.join(dirs.kafka!, "libs"), root: paths.kafka }));
    this.brokers = {
      list: async () => {
        const infos: BrokerInfo[] = [];
        for (const nodeId of KAFKA_NODE_IDS) {
          const record = await this.supervisor.read(kafkaNodeName(nodeId));
          const running = record !== undefined && isAlive(record.pid);
          infos.push({ nodeId, running, pid: running ? record!.pid : undefined });
        }
        return infos;
      },
      kill: async (nodeId, mode) => {
        this.assertNode(nodeId);
        await this.supervisor.stop(kafkaNodeName(nodeId), mode === "crash" ? { signal: "SIGKILL", graceMs: 5_000 } : { signal: "SIGTERM", graceMs: 60_000 });
      },
      start: async (nodeId) => {
        this.assertNode(nodeId);
        const name = kafkaNodeName(nodeId);
        if (await this.supervisor.isRunning(name)) return;
        await this.supervisor.start(kafkaNodeSpec(await this.kafkaLayout, nodeId));
        await waitUntil(this.supervisor, name, "listening", () => canConnect(PORTS.kafkaDirect(nodeId)), 60_000);
      },
    };
    this.network = new ToxiproxyNetworkHandles(
      description.toxiproxy!.api,
      new Map(KAFKA_NODE_IDS.map((nodeId) => [nodeId, proxyName(nodeId)])),
      async () =>
        KAFKA_NODE_IDS.map((nodeId) => ({
          nodeId,
          workloads: { host: LOOPBACK, port: PORTS.kafkaAppsProxy(nodeId) },
          direct: { host: LOOPBACK, port: PORTS.kafkaDirect(nodeId) },
        })),
    );
    const kubeconfig = description.kubeconfig;
    this.services = {
      // The service proxy forwards Services that opt in by annotation; Argo's controller is a host
      // process here, so it dials the same host URL.
      hostUrl: (namespace, name, options) => simServiceUrl(`${namespace}/${name}`, options),
      controllerUrl: (namespace, name, options) => simServiceUrl(`${namespace}/${name}`, options),
      endpointSlices: (namespace, name) => derivedEndpointSlices(loadKubeConfig(kubeconfig), namespace, name),
    };
    this.tools = { k6: (options) => provideK6(options) };
  }

  private assertNode(nodeId: number) {
    if (!(KAFKA_NODE_IDS as readonly number[]).includes(nodeId)) {
      throw new Error(`Kafka node ${nodeId} does not exist in the sim lab (nodes: ${KAFKA_NODE_IDS.join(", ")})`);
    }
  }

  async status(): Promise<Record<string, ComponentHealth>> {
    const pki = await ensurePkiPathsOnly(this.description.stateDir);
    const checks: Record<string, () => Promise<string | undefined>> = {
      etcd: async () => ((await httpOk(`http://${LOOPBACK}:${PORTS.etcdClient}/health`)) ? undefined : "/health not ok"),
      "kube-apiserver": async () => {
        const response = await httpsGet(`https://${LOOPBACK}:${PORTS.apiServer}/readyz`, pki);
        return response.status === 200 ? undefined : `/readyz answered ${response.status}`;
      },
      "kube-controller-manager": async () => {
        const response = await httpsGet(`https://${LOOPBACK}:${PORTS.controllerManager}/healthz`);
        return response.status === 200 ? undefined : `/healthz answered ${response.status}`;
      },
      "kube-scheduler": async () => {
        const response = await httpsGet(`https://${LOOPBACK}:${PORTS.scheduler}/healthz`);
        return response.status === 200 ? undefined : `/healthz answered ${response.status}`;
      },
      kwok: async () => undefined,
      "argo-rollouts": async () => ((await httpOk(`http://${LOOPBACK}:${PORTS.argoHealthz}/healthz`)) ? undefined : "/healthz not ok"),
      toxiproxy: async () => {
        await this.toxiproxy.version();
        return undefined;
      },
      "process-runtime": async () => ((await httpOk(`http://${LOOPBACK}:${PORTS.processRuntimeHealth}/healthz`)) ? undefined : "/healthz not ok"),
      "service-proxy": async () => ((await httpOk(`http://${LOOPBACK}:${PORTS.serviceProxyHealth}/healthz`)) ? undefined : "/healthz not ok (watches not synced?)"),
      ...Object.fromEntries(
        KAFKA_NODE_IDS.map((id) => [
          kafkaNodeName(id),
          async () => ((await canConnect(PORTS.kafkaDirect(id))) ? undefined : `nothing listens on ${PORTS.kafkaDirect(id)}`),
        ]),
      ),
    };
    const entries = await Promise.all(
      SIM_COMPONENTS.map(async (name): Promise<[string, ComponentHealth]> => {
        const record = await this.supervisor.read(name);
        if (!record) return [name, { healthy: false, detail: "not running (no pid file: stopped, or never started)" }];
        if (!isAlive(record.pid)) return [name, { healthy: false, pid: record.pid, detail: `exited unexpectedly; see ${record.log}` }];
        const problem = await checks[name]!().catch((error: Error) => error.message);
        return [name, { healthy: problem === undefined, pid: record.pid, detail: problem ?? "ok" }];
      }),
    );
    return Object.fromEntries(entries);
  }

  async down(options: { keepData?: boolean } = {}): Promise<void> {
    await stopSimLab(this.description.stateDir, options);
  }
}

async function ensurePkiPathsOnly(root: string): Promise<Pki> {
  return ensurePki(statePaths(root).pki);
}

export async function readLabDescription(root = stateDir()): Promise<LabDescription | undefined> {
  try {
    return labDescriptionSchema.parse(JSON.parse(await fs.readFile(statePaths(root).labJson, "utf8")));
  } catch {
    return undefined;
  }
}

/** Attaches to a running lab: its description exists and its API server answers. */
export async function attachSimLab(root = stateDir()): Promise<SimLab | undefined> {
  const description = await readLabDescription(root);
  if (!description) return undefined;
  const supervisor = new Supervisor(statePaths(root).pids, statePaths(root).logs);
  if (!(await supervisor.isRunning("kube-apiserver"))) return undefined;
  return new SimLab(description);
}

export async function startSimLab(options: UpOptions = {}): Promise<SimLab> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = stateDir();
  const existing = await attachSimLab(root);
  if (existing) {
    log(`[lab] the sim lab is already up (state: ${root}); nothing to do`);
    return existing;
  }
  const busy = await portsInUse(allLabPorts());
  if (busy.length > 0) {
    throw new Error(
      `cannot start the sim lab: ports already in use on 127.0.0.1: ${busy.join(", ")}.\n` +
        `If a previous lab is still running, stop it with \`make lab-down\`; otherwise find the owner with \`ss -ltnp | grep -E ':(${busy.join("|")})'\`.`,
    );
  }
  const started = Date.now();
  await provision({ log });
  const dirs = await builtComponentDirs();
  const paths = statePaths(root);
  await fs.mkdir(root, { recursive: true });
  const supervisor = new Supervisor(paths.pids, paths.logs);
  try {
    const pki = await ensurePki(paths.pki);
    const apiServer = await writeKubeconfig(pki, paths.kubeconfig);
    await writeKwokConfig(dirs.kwok!, paths.kwokConfig);
    const inputs: ControlPlaneInputs = {
      kubeDir: dirs.kube!,
      kwokDir: dirs.kwok!,
      pki,
      kubeconfig: paths.kubeconfig,
      etcdDataDir: paths.etcdData,
      kwokConfig: paths.kwokConfig,
    };
    const kafkaLayout: KafkaLayout = { libsDir: path.join(dirs.kafka!, "libs"), root: paths.kafka };
    log("[lab] formatting Kafka storage and starting etcd, Toxiproxy");
    await Promise.all([
      prepareKafka(kafkaLayout),
      supervisor.start(etcdSpec(inputs)),
      supervisor.start({
        name: "toxiproxy",
        command: path.join(dirs.toxiproxy!, "toxiproxy-server"),
        args: ["-host", LOOPBACK, "-port", String(PORTS.toxiproxyApi)],
      }),
    ]);
    // The JVMs take the longest to warm up: start them before the control plane.
    for (const nodeId of KAFKA_NODE_IDS) await supervisor.start(kafkaNodeSpec(kafkaLayout, nodeId));
    log(`[lab] Kafka nodes ${KAFKA_NODE_IDS.join(", ")} starting (${elapsed(started)})`);
    await waitUntil(supervisor, "etcd", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.etcdClient}/health`), 30_000);
    log(`[lab] etcd ready (${elapsed(started)})`);
    await supervisor.start(apiServerSpec(inputs));
    await waitUntil(
      supervisor,
      "kube-apiserver",
      "ready",
      async () => (await httpsGet(`https://${LOOPBACK}:${PORTS.apiServer}/readyz`, pki)).status === 200,
      60_000,
    );
    log(`[lab] kube-apiserver ready at ${apiServer} (${elapsed(started)})`);
    for (const spec of [controllerManagerSpec(inputs), schedulerSpec(inputs), kwokSpec(inputs), argoRolloutsSpec(inputs)]) {
      await supervisor.start(spec);
    }
    // The lab's own TypeScript daemons: the process runtime (a kubelet for lab images) and the service
    // proxy, through which host processes (k6, Argo's analysis, the harness) reach opted-in Services.
    for (const name of ["process-runtime", "service-proxy"]) {
      await supervisor.start({
        name,
        command: process.execPath,
        args: ["--import", "tsx", path.join(REPO_ROOT, "cluster", "sim", name, "main.ts")],
        cwd: REPO_ROOT,
        env: { ...process.env, CHAOSLAB_STATE_DIR: root, KUBECONFIG: paths.kubeconfig },
      });
    }
    const kubeConfig = loadKubeConfig(paths.kubeconfig);
    const toxiproxy = new ToxiproxyApi(`http://${LOOPBACK}:${PORTS.toxiproxyApi}`);
    await Promise.all([
      bootstrapKubernetes(kubeConfig, dirs.kube!, log, started),
      (async () => {
        await waitUntil(supervisor, "toxiproxy", "answering", () => toxiproxy.version().then(() => true), 20_000);
        for (const nodeId of KAFKA_NODE_IDS) {
          await toxiproxy.ensureProxy(proxyName(nodeId), `${LOOPBACK}:${PORTS.kafkaAppsProxy(nodeId)}`, `${LOOPBACK}:${PORTS.kafkaApps(nodeId)}`);
        }
        log(`[lab] Toxiproxy proxies in front of the workloads' Kafka listeners (${elapsed(started)})`);
      })(),
      waitForKafka(supervisor, log, started),
    ]);
    await Promise.all([
      waitUntil(supervisor, "kube-controller-manager", "healthy", async () => (await httpsGet(`https://${LOOPBACK}:${PORTS.controllerManager}/healthz`)).status === 200, 60_000),
      waitUntil(supervisor, "kube-scheduler", "healthy", async () => (await httpsGet(`https://${LOOPBACK}:${PORTS.scheduler}/healthz`)).status === 200, 60_000),
      waitUntil(supervisor, "argo-rollouts", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.argoHealthz}/healthz`), 60_000),
      waitUntil(supervisor, "process-runtime", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.processRuntimeHealth}/healthz`), 60_000),
      waitUntil(supervisor, "service-proxy", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.serviceProxyHealth}/healthz`), 60_000),
      waitForNodesReady(kubeConfig, supervisor),
    ]);
    const description: LabDescription = {
      provider: "sim",
      stateDir: root,
      kubeconfig: paths.kubeconfig,
      apiServer,
      kafka: { bootstrapDirect: bootstrapDirect(), bootstrapWorkloads: bootstrapWorkloads(), nodeIds: [...KAFKA_NODE_IDS], brokers: { kind: "processes" } },
      toxiproxy: { api: `http://${LOOPBACK}:${PORTS.toxiproxyApi}` },
      namespaces: [...NAMESPACES],
      features: { argoRollouts: true },
      versions: { ...Object.fromEntries(Object.entries(versions).filter(([key]) => !key.startsWith("$"))), kafkaOperator: "none (KRaft processes of the sim)" },
      startedAt: new Date(started).toISOString(),
    };
    await fs.writeFile(paths.labJson, JSON.stringify(description, null, 2));
    log(`[lab] the sim lab is up in ${elapsed(started)}; kubeconfig: ${paths.kubeconfig}`);
    return new SimLab(description);
  } catch (error) {
    log(`[lab] start failed; stopping what was started (logs are kept in ${paths.logs})`);
    await stopSimLab(root, { keepData: true, log: () => {} });
    throw error;
  }
}

async function waitForKafka(supervisor: Supervisor, log: (line: string) => void, started: number) {
  for (const nodeId of KAFKA_NODE_IDS) {
    await waitUntil(supervisor, kafkaNodeName(nodeId), "listening", () => canConnect(PORTS.kafkaDirect(nodeId)), 90_000);
  }
  await ensureLabTopics(bootstrapDirect(), { expectBrokers: KAFKA_NODE_IDS.length, where: ".chaoslab/sim/logs/kafka-*.log" });
  log(`[lab] Kafka: ${KAFKA_NODE_IDS.length} brokers, topics ${LAB_TOPICS.map((topic) => topic.topic).join(", ")} (${elapsed(started)})`);
}

async function bootstrapKubernetes(config: k8s.KubeConfig, kubeDir: string, log: (line: string) => void, started: number) {
  const core = config.makeApiClient(k8s.CoreV1Api);
  const objects: k8s.KubernetesObject[] = [
    ...NAMESPACES.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })),
    ...FAKE_NODE_NAMES.map((name) => fakeNode(name)),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "streamforge-kafka", namespace: STREAMFORGE_NAMESPACE },
      data: { workloads: bootstrapWorkloads().join(","), instruments: bootstrapDirect().join(",") },
    } as k8s.V1ConfigMap,
  ];
  await applyObjects(config, objects);
  const crdDir = path.join(kubeDir, "crds");
  // The folder also holds a kustomization.yaml: keep only the CRDs.
  const crds = (await Promise.all((await fs.readdir(crdDir)).filter((file) => file.endsWith(".yaml")).map((file) => readManifests(path.join(crdDir, file)))))
    .flat()
    .filter((object) => object.kind === "CustomResourceDefinition");
  await applyObjects(config, crds);
  log(`[lab] namespaces, ${FAKE_NODE_NAMES.length} kwok nodes, Argo Rollouts CRDs (${crds.length}) applied (${elapsed(started)})`);
  // Pods are rejected until the ServiceAccount controller has made each namespace's `default` account.
  const deadline = Date.now() + 60_000;
  for (const namespace of NAMESPACES) {
    for (;;) {
      try {
        await core.readNamespacedServiceAccount({ name: "default", namespace });
        break;
      } catch (error) {
        if (apiErrorCode(error) !== 404) throw new Error(`reading ServiceAccount ${namespace}/default: ${apiErrorMessage(error)}`);
        if (Date.now() > deadline) throw new Error(`ServiceAccount ${namespace}/default was not created within 60 s: is kube-controller-manager running? See its log.`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

function fakeNode(name: string): k8s.V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    spec: {},
    status: {
      allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
      capacity: { cpu: "32", memory: "256Gi", pods: "110" },
      nodeInfo: {
        architecture: "amd64",
        bootID: "",
        containerRuntimeVersion: "kwok",
        kernelVersion: "",
        kubeProxyVersion: "kwok",
        kubeletVersion: "kwok",
        machineID: "",
        operatingSystem: "linux",
        osImage: "",
        systemUUID: "",
      },
      phase: "Running",
    },
  };
}

async function waitForNodesReady(config: k8s.KubeConfig, supervisor: Supervisor) {
  const core = config.makeApiClient(k8s.CoreV1Api);
  await waitUntil(
    supervisor,
    "kwok",
    `managing ${FAKE_NODE_NAMES.length} Ready nodes`,
    async () => {
      const nodes = await core.listNode();
      const ready = nodes.items.filter((node) => node.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"));
      return ready.length >= FAKE_NODE_NAMES.length;
    },
    60_000,
  );
}

/**
 * Stops every lab process (also those of a half-started or crashed lab) and every pod process the
 * runtime started, then removes the state dir unless keepData.
 */
export async function stopSimLab(root = stateDir(), options: { keepData?: boolean; log?: (line: string) => void } = {}): Promise<{ leftoverPorts: number[] }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = statePaths(root);
  const supervisor = new Supervisor(paths.pids, paths.logs);
  const started = Date.now();
  const records = await supervisor.list();
  const order = [...SIM_COMPONENTS].reverse() as string[];
  records.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  // The runtime first: on SIGTERM it stops the pods' processes (grace periods apply).
  for (const record of records.filter((candidate) => candidate.name === "process-runtime")) {
    await supervisor.stop(record.name, { graceMs: 15_000 });
  }
  // Data is disposable unless kept: then Kafka and etcd get a clean shutdown.
  const graceMs = options.keepData ? 20_000 : 3_000;
  await Promise.all(records.filter((record) => record.name !== "process-runtime").map((record) => supervisor.stop(record.name, { graceMs })));
  await killLeftoverPodProcesses(paths.pods);
  const leftoverPorts = await portsInUse(allLabPorts());
  if (!options.keepData) await fs.rm(root, { recursive: true, force: true });
  log(`[lab] the sim lab is down (${elapsed(started)})${options.keepData ? `; data kept in ${root}` : ""}`);
  if (leftoverPorts.length > 0) log(`[lab] warning: ports still in use after down: ${leftoverPorts.join(", ")}`);
  return { leftoverPorts };
}

/** Safety net: pod processes whose runtime died are still recorded under <state>/pods. */
async function killLeftoverPodProcesses(podsDir: string) {
  let entries: string[];
  try {
    entries = await fs.readdir(podsDir);
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (entry) => {
      try {
        const pid = Number((await fs.readFile(path.join(podsDir, entry, "pid"), "utf8")).trim());
        if (pid > 0 && isAlive(pid)) await killGroup(pid, "SIGKILL", 2_000);
      } catch {
        /* no pid file: never started */
      }
    }),
  );
}
