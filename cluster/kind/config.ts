/**
 * Names, paths, URLs and the kind cluster config of the kind lab, all derived from cluster/versions.json
 * and the files in cluster/kind/ and cluster/manifests/.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../images.ts";
import { cacheDir } from "../build/cache-dir.ts";
import type { Versions } from "../manifests/kind-manifests.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

export const KIND_CLUSTER_NAME = "chaoslab";
const KIND_CONFIG_TEMPLATE = path.join(REPO_ROOT, "cluster", "kind", "kind-config.yaml");
/** kind names node containers `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`, ... */
export const KIND_CONTROL_PLANE_CONTAINER = `${KIND_CLUSTER_NAME}-control-plane`;

export const STRIMZI_OPERATOR_DEPLOYMENT = "strimzi-cluster-operator";
export const ARGO_ROLLOUTS_DEPLOYMENT = "argo-rollouts";
export const TOXIPROXY_DEPLOYMENT = "kafka-proxy";
export const KAFKA_CONFIGMAP = { namespace: STREAMFORGE_NAMESPACE, name: "streamforge-kafka" } as const;

/** The lab's state on kind: kubeconfig, rendered kind config, lab.json. Same override as the sim's. */
export function kindStateDir(): string {
  return process.env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", "kind");
}

/** Downloaded release manifests, keyed by version (same cache root as the sim's built binaries). */
export function kindCacheDir(): string {
  return path.join(cacheDir(), "kind-manifests");
}

export function releaseUrls(versions: Versions) {
  return {
    // The release asset is the concatenation of install/cluster-operator/*.yaml of the same tag (the folder
    // ../shared/upstream/strimzi-1.2.0/install holds that content for offline tests).
    strimzi: `https://github.com/strimzi/strimzi-kafka-operator/releases/download/${versions.strimzi}/strimzi-cluster-operator-${versions.strimzi}.yaml`,
    argoRollouts: `https://github.com/argoproj/argo-rollouts/releases/download/${versions.argoRollouts}/install.yaml`,
    kind: `https://kind.sigs.k8s.io/dl/${versions.kind}/kind-${process.platform === "darwin" ? "darwin" : "linux"}-${os.arch() === "arm64" ? "arm64" : "amd64"}`,
  };
}

/**
 * Where the release manifests are cached. The air-gapped build writes Argo Rollouts' install.yaml here
 * (from the Go module, image pinned), so the kind provider finds it cached and never downloads it.
 */
export function cachedManifestPaths(cacheDir: string, versions: Versions) {
  return {
    strimzi: path.join(cacheDir, `strimzi-cluster-operator-${versions.strimzi}.yaml`),
    argoRollouts: path.join(cacheDir, `argo-rollouts-${versions.argoRollouts}-install.yaml`),
  };
}

interface KindNode {
  role: "control-plane" | "worker";
  image?: string;
  extraPortMappings?: { containerPort: number; hostPort: number; listenAddress?: string; protocol?: string }[];
}

interface KindClusterConfig {
  kind: "Cluster";
  apiVersion: string;
  name?: string;
  nodes: KindNode[];
}

export function readKindConfigTemplate(file = KIND_CONFIG_TEMPLATE): KindClusterConfig {
  return parse(fs.readFileSync(file, "utf8")) as KindClusterConfig;
}

/** The kind config with every node's image set from versions.json ("kindNodeImage"). */
export function renderKindConfig(versions: Versions, template: KindClusterConfig = readKindConfigTemplate()): string {
  const config = structuredClone(template);
  for (const node of config.nodes) {
    if (node.image !== undefined) {
      throw new Error(
        `${KIND_CONFIG_TEMPLATE}: node (${node.role}) sets image ${node.image}; remove it: the node image comes from ` +
          `cluster/versions.json ("kindNodeImage": "${versions.kindNodeImage}")`,
      );
    }
    node.image = versions.kindNodeImage;
  }
  return `# Rendered from cluster/kind/kind-config.yaml and cluster/versions.json by the kind provider.\n${stringify(config)}`;
}

/** Host ports published by the config (for the "cluster was created without them" check on reuse). */
export function publishedHostPorts(template: KindClusterConfig = readKindConfigTemplate()): number[] {
  return template.nodes.flatMap((node) => (node.extraPortMappings ?? []).map((mapping) => mapping.hostPort));
}
