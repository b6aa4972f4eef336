/**
 * Where the sim lab keeps things and which loopback ports it uses: one source of truth.
 *
 * - cache (built upstream binaries, keyed by version): `$CHAOSLAB_CACHE_DIR` or `~/.cache/chaoslab`
 * - state (PKI, kubeconfig, data dirs, logs, pid files, lab.json): `$CHAOSLAB_STATE_DIR` or `<repo>/.chaoslab/sim`
 *
 * Every port is on 127.0.0.1. The block 31000–32999 avoids the defaults of the components themselves
 * (2379, 6443, 9092, 8080, 10257, ...), so a developer's own local Kafka or cluster does not collide.
 */
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../images.ts";

export const LOOPBACK = "127.0.0.1";

export function cacheDir(): string {
  return process.env.CHAOSLAB_CACHE_DIR ?? path.join(os.homedir(), ".cache", "chaoslab");
}

export function stateDir(): string {
  return process.env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", "sim");
}

export const KAFKA_NODE_IDS = [1, 2, 3] as const;

export const PORTS = {
  etcdClient: 32379,
  etcdPeer: 32380,
  apiServer: 32443,
  controllerManager: 32257,
  scheduler: 32259,
  argoMetrics: 32090,
  argoHealthz: 32080,
  toxiproxyApi: 32474,
  processRuntimeHealth: 32301,
  /** Direct listener: inter-broker traffic, the healer and the harness's instruments. */
  kafkaDirect: (nodeId: number) => 31090 + nodeId,
  /** Listener the brokers bind for workloads; only Toxiproxy dials it. */
  kafkaApps: (nodeId: number) => 31190 + nodeId,
  /** Toxiproxy's listener in front of kafkaApps: what workloads' metadata advertises. */
  kafkaAppsProxy: (nodeId: number) => 31290 + nodeId,
  kafkaController: (nodeId: number) => 31390 + nodeId,
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
  ];
  const kafka = KAFKA_NODE_IDS.flatMap((id) => [
    PORTS.kafkaDirect(id),
    PORTS.kafkaApps(id),
    PORTS.kafkaAppsProxy(id),
    PORTS.kafkaController(id),
  ]);
  return [...fixed, ...kafka];
}

/** Pod IPs of process-run pods: 127.10.0.0/16, so replicas can bind the same container port. */
export const POD_IP_PREFIX = "127.10";
/** kwok hands out pod IPs of simulated pods from loopback too, so no non-loopback address exists. */
export const KWOK_POD_CIDR = "127.20.0.0/16";
export const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";

export const NAMESPACES = ["streamforge", "kafka", "argo-rollouts"] as const;
export const WORKLOAD_NAMESPACE = "streamforge";
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
