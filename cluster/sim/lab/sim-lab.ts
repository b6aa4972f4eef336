/**
 * The embedded lab once it runs: the `StartedLab` over its supervised processes (brokers as Kafka
 * processes, Toxiproxy, the service proxy), its status, and attaching to it from another process.
 * start-sim-lab.ts brings it up, stop-sim-lab.ts takes it down. See ../../../../shared/specs/sim-lab.md
 * for the why of each piece.
 */
import fs from "node:fs/promises";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type {
  BrokerInfo,
  ComponentHealth,
  KafkaBrokerHandles,
  KafkaNetworkHandles,
  LabDescription,
  PodProcessHandles,
  ServiceAccess,
  StartedLab,
  ToolAccess,
} from "../../provider.ts";
import { labDescriptionSchema } from "../../provider.ts";
import { loadKubeConfig } from "../../kube/apply.ts";
import { KAFKA_LANES, KAFKA_NODE_IDS, LOOPBACK, PORTS, stateDir, statePaths } from "../layout.ts";
import { ensurePki, type Pki } from "../pki.ts";
import { builtComponentDirs } from "../../build/provision.ts";
import { isAlive, Supervisor, waitUntil } from "../supervisor.ts";
import { canConnect } from "../../network/tcp-probe.ts";
import { kafkaNodeName, kafkaNodeSpec, type KafkaLayout } from "../kafka-nodes.ts";
import { ToxiproxyApi } from "../../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../../network/toxiproxy-network.ts";
import { provideK6 } from "../../tools/k6.ts";
import { derivedEndpointSlices } from "./derived-endpoints.ts";
import { simServiceUrl } from "../service-proxy/service-urls.ts";
import { placeWithFreeHostPorts } from "../service-proxy/host-port-placement.ts";
import { kafkaProxyName, SIM_COMPONENTS } from "./components.ts";
import { httpOk, httpsGet } from "./http-probes.ts";
import { stopSimLab } from "./stop-sim-lab.ts";
import { SimProcessFreezer } from "./process-freezer.ts";

export class SimLab implements StartedLab {
  readonly brokers: KafkaBrokerHandles;
  readonly network: KafkaNetworkHandles;
  readonly services: ServiceAccess;
  readonly tools: ToolAccess;
  readonly processes: PodProcessHandles;
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
        await waitUntil(this.supervisor, name, "listening", () => canConnect(LOOPBACK, PORTS.kafkaDirect(nodeId), 500), 60_000);
      },
    };
    this.network = new ToxiproxyNetworkHandles(
      description.toxiproxy!.api,
      new Map(KAFKA_NODE_IDS.map((nodeId) => [nodeId, kafkaProxyName(nodeId)])),
      async () => brokerPaths(0),
      fetch,
      { lanes: KAFKA_LANES, proxyNames: (lane) => new Map(KAFKA_NODE_IDS.map((nodeId) => [nodeId, kafkaProxyName(nodeId, lane)])), paths: async (lane) => brokerPaths(lane) },
    );
    const kubeconfig = description.kubeconfig;
    let core: k8s.CoreV1Api | undefined;
    const coreApi = () => (core ??= loadKubeConfig(kubeconfig).makeApiClient(k8s.CoreV1Api));
    this.services = {
      // The service proxy forwards Services that opt in by annotation; Argo's controller is a host
      // process here, so it dials the same host URL.
      hostUrl: (namespace, name, options) => simServiceUrl(`${namespace}/${name}`, options),
      controllerUrl: (namespace, name, options) => simServiceUrl(`${namespace}/${name}`, options),
      endpointSlices: (namespace, name) => derivedEndpointSlices(loadKubeConfig(kubeconfig), namespace, name),
      applyCopies: (objects, seed, apply) =>
        placeWithFreeHostPorts(objects, seed, async () => (await coreApi().listServiceForAllNamespaces()).items.map((service) => ({ kind: "Service", metadata: service.metadata ?? {} })), apply),
    };
    this.tools = { k6: (options) => provideK6(options) };
    this.processes = new SimProcessFreezer(coreApi);
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
          async () => ((await canConnect(LOOPBACK, PORTS.kafkaDirect(id), 500)) ? undefined : `nothing listens on ${PORTS.kafkaDirect(id)}`),
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

/** Where this machine reaches each broker: through a lane's proxies (0: the shared one) and directly. */
function brokerPaths(lane: number) {
  return KAFKA_NODE_IDS.map((nodeId) => ({
    nodeId,
    workloads: { host: LOOPBACK, port: PORTS.kafkaAppsProxy(nodeId, lane) },
    direct: { host: LOOPBACK, port: PORTS.kafkaDirect(nodeId) },
  }));
}
