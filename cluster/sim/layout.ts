/**
 * Where the sim lab keeps things and which loopback ports it uses: one source of truth.
 *
 * - cache (built upstream binaries, keyed by version): cluster/build/cache-dir.ts
 * - state (PKI, kubeconfig, data dirs, logs, pid files, lab.json): `$CHAOSLAB_STATE_DIR` or `<repo>/.chaoslab/sim`
 *
 * Every port is on 127.0.0.1. The block 31000–32999 avoids the defaults of the components themselves
 * (2379, 6443, 9092, 8080, 10257, ...), so a developer's own local Kafka or cluster does not collide.
 *
 * `CHAOSLAB_LAB_SLOT=N` (0–9, default 0) runs a second, independent lab beside the first (e.g. a CI
 * check next to a developer's lab): every port moves up by N × 2000 and the loopback ranges of pod IPs
 * move with it. Give each slot its own state dir (the default, per checkout, already is).
 */
import path from "node:path";
import { REPO_ROOT } from "../images.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

export const LOOPBACK = "127.0.0.1";

function labSlot(): number {
  const raw = process.env.CHAOSLAB_LAB_SLOT ?? "0";
  const slot = Number(raw);
  if (!Number.isInteger(slot) || slot < 0 || slot > 9) {
    throw new Error(`CHAOSLAB_LAB_SLOT must be an integer from 0 to 9 (found "${raw}")`);
  }
  return slot;
}

const LAB_SLOT = labSlot();
/** 2000: the lab's ports span 31091–32599, so slots never overlap. */
const PORT_SHIFT = LAB_SLOT * 2000;

export function stateDir(): string {
  return process.env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", "sim");
}

export const KAFKA_NODE_IDS = [1, 2, 3] as const;

/**
 * Kafka lanes: workloads' paths to the brokers besides the shared one (lane 0), each a listener per
 * broker behind its own Toxiproxy proxies. Scenarios that run side by side each take one, so a latency
 * or partition toxic slows only its own run's loaders. As many as `chaoslab run --parallel` uses (4).
 */
export const KAFKA_LANES = [1, 2, 3, 4] as const;

export const PORTS = {
  etcdClient: 32379 + PORT_SHIFT,
  etcdPeer: 32380 + PORT_SHIFT,
  apiServer: 32443 + PORT_SHIFT,
  controllerManager: 32257 + PORT_SHIFT,
  scheduler: 32259 + PORT_SHIFT,
  argoMetrics: 32090 + PORT_SHIFT,
  argoHealthz: 32080 + PORT_SHIFT,
  toxiproxyApi: 32474 + PORT_SHIFT,
  processRuntimeHealth: 32301 + PORT_SHIFT,
  serviceProxyHealth: 32302 + PORT_SHIFT,
  /** Direct listener: inter-broker traffic, the healer and the harness's instruments. */
  kafkaDirect: (nodeId: number) => 31090 + PORT_SHIFT + nodeId,
  /** Listener the brokers bind for workloads on a lane (0: the shared one); only Toxiproxy dials it. */
  kafkaApps: (nodeId: number, lane = 0) => 31190 + PORT_SHIFT + 10 * lane + nodeId,
  /** Toxiproxy's listener in front of kafkaApps: what workloads' metadata advertises on that lane. */
  kafkaAppsProxy: (nodeId: number, lane = 0) => 31290 + PORT_SHIFT + 10 * lane + nodeId,
  kafkaController: (nodeId: number) => 31390 + PORT_SHIFT + nodeId,
} as const;

/** Every port the lab listens on, for the "ports already taken" check and the leak audit after `down`. */
export function allLabPorts(): number[] {
  const fixed = [
    PORTS.etcdClient,
    PORTS.etcdPeer,
    PORTS.apiServer,
    PORTS.controllerManager,
    PORTS.scheduler,
    PORTS.argoMetrics,
    PORTS.argoHealthz,
    PORTS.toxiproxyApi,
    PORTS.processRuntimeHealth,
    PORTS.serviceProxyHealth,
  ];
  const kafka = KAFKA_NODE_IDS.flatMap((id) => [
    PORTS.kafkaDirect(id),
    ...[0, ...KAFKA_LANES].flatMap((lane) => [PORTS.kafkaApps(id, lane), PORTS.kafkaAppsProxy(id, lane)]),
    PORTS.kafkaController(id),
  ]);
  const proxied = Array.from({ length: SIM_SERVICE_PORTS.last - SIM_SERVICE_PORTS.first + 1 }, (_, i) => simHostPort(SIM_SERVICE_PORTS.first + i));
  return [...fixed, ...kafka, ...proxied];
}

/**
 * Host ports of Services on the sim. A Service opts in with the annotation
 * `chaoslab.streamforge.io/sim-host-port: "<port>"` (SIM_HOST_PORT_ANNOTATION); the service proxy then
 * listens on 127.0.0.1:<port> and forwards to its ready endpoints (kube-proxy's job in a cluster), so
 * host processes — k6, Argo's analysis, the harness — reach it. Ports must lie in this range, which no
 * other lab port uses:
 *   - 32500–32549: fixed assignments of the project's manifests (below; the annotation in the
 *     manifest is the source of truth, this table only keeps them from colliding);
 *   - 32550–32599: tests and ad-hoc Services (lab tests pick a random one; copies of Services in a
 *     run's own namespace get free ones: service-proxy/host-port-placement.ts).
 * kind and existing clusters ignore the annotation.
 */
export const SIM_SERVICE_PORTS = {
  first: 32500,
  last: 32599,
  /** workloads/queue-manager/manifests/rollout.yaml: Service streamforge/queue-manager. */
  queueManager: 32500,
  /** workloads/queue-manager/manifests/canary-stats-aggregator.yaml: Service streamforge/queue-manager-metrics. */
  queueManagerMetrics: 32501,
  /** First port lab tests and ad-hoc Services may use. */
  adHocFirst: 32550,
} as const;

/**
 * The host port a Service's `sim-host-port` annotation means in this lab's slot: manifests name slot-0
 * ports, and a lab in slot N listens N × 2000 higher, like every other port of it.
 */
export function simHostPort(annotatedPort: number): number {
  return annotatedPort + PORT_SHIFT;
}

/** Pod IPs of process-run pods: 127.10.0.0/16, so replicas can bind the same container port. */
export const POD_IP_PREFIX = `127.${10 + 2 * LAB_SLOT}`;
/** kwok hands out pod IPs of simulated pods from loopback too, so no non-loopback address exists. */
export const KWOK_POD_CIDR = `127.${40 + 2 * LAB_SLOT}.0.0/16`;
export const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";

export const NAMESPACES = [STREAMFORGE_NAMESPACE, "kafka", "argo-rollouts"] as const;
export const FAKE_NODE_NAMES = ["chaoslab-control-plane", "chaoslab-worker", "chaoslab-worker2"] as const;

export function statePaths(root = stateDir()) {
  return {
    root,
    pki: path.join(root, "pki"),
    kubeconfig: path.join(root, "kubeconfig"),
    labJson: path.join(root, "lab.json"),
    logs: path.join(root, "logs"),
    pids: path.join(root, "pids"),
    etcdData: path.join(root, "etcd"),
    kafka: path.join(root, "kafka"),
    kwokConfig: path.join(root, "kwok.yaml"),
    pods: path.join(root, "pods"),
  };
}
