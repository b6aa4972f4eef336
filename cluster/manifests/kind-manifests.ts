/**
 * The lab's manifests as objects: `namespaces.yaml` (every provider) and `kind/*.yaml` (kind only), rendered
 * with the versions of cluster/versions.json (the files themselves pin none), plus the topology the kind
 * provider and the tests read from them (Kafka name, node ids, listener ports, Toxiproxy proxies), so the
 * YAML is the one source of truth for names and ports.
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../images.ts";
import pinnedVersions from "../versions.json" with { type: "json" };
import type { BrokerPaths } from "../provider.ts";

export type Versions = typeof pinnedVersions;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const MANIFESTS_DIR = path.join(REPO_ROOT, "cluster", "manifests");
const NAMESPACES_FILE = path.join(MANIFESTS_DIR, "namespaces.yaml");
const KIND_MANIFESTS_DIR = path.join(MANIFESTS_DIR, "kind");
export const KIND_MANIFEST_FILES = {
  kafka: path.join(KIND_MANIFESTS_DIR, "kafka.yaml"),
  topics: path.join(KIND_MANIFESTS_DIR, "topics.yaml"),
  toxiproxy: path.join(KIND_MANIFESTS_DIR, "toxiproxy.yaml"),
} as const;

/** Reads a multi-document YAML file; every document must be a Kubernetes object. */
export function readManifestFile(file: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(fs.readFileSync(file, "utf8")).forEach((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${file}: document ${index + 1} is not valid YAML: ${document.errors[0]!.message}`);
    }
    const value = document.toJS() as unknown;
    if (value === null || value === undefined) return;
    if (!isKubeObject(value)) {
      throw new Error(`${file}: document ${index + 1} is not a Kubernetes object (expected apiVersion, kind, metadata.name)`);
    }
    objects.push(value);
  });
  return objects;
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<KubeObject>;
  return typeof candidate.apiVersion === "string" && typeof candidate.kind === "string" && typeof candidate.metadata?.name === "string";
}

export interface KindLabManifests {
  namespaces: KubeObject[];
  /** KafkaNodePool + Kafka, with spec.kafka.version from versions.json. */
  kafka: KubeObject[];
  topics: KubeObject[];
  /** Toxiproxy ConfigMap, Deployment (image tag from versions.json), Services. */
  toxiproxy: KubeObject[];
}

export const TOXIPROXY_IMAGE_REPOSITORY = "ghcr.io/shopify/toxiproxy";

/** Loads and renders the manifests. Throws when a file pins a version itself (versions.json is the one place). */
export function renderKindLabManifests(versions: Versions = pinnedVersions): KindLabManifests {
  const kafka = structuredClone(readManifestFile(KIND_MANIFEST_FILES.kafka));
  for (const object of kafka.filter((candidate) => candidate.kind === "Kafka")) {
    const spec = object.spec as { kafka: { version?: string } };
    if (spec.kafka.version !== undefined) {
      throw new Error(
        `${KIND_MANIFEST_FILES.kafka}: Kafka ${object.metadata.name} sets spec.kafka.version=${spec.kafka.version}; ` +
          `remove it: the version comes from cluster/versions.json ("kafka": "${versions.kafka}")`,
      );
    }
    spec.kafka.version = versions.kafka;
  }

  const toxiproxy = structuredClone(readManifestFile(KIND_MANIFEST_FILES.toxiproxy));
  const toxiproxyTag = versions.toxiproxy.replace(/^v/, "");
  for (const container of podContainers(toxiproxy)) {
    if (container.image === TOXIPROXY_IMAGE_REPOSITORY) {
      container.image = `${TOXIPROXY_IMAGE_REPOSITORY}:${toxiproxyTag}`;
    } else if (container.image.startsWith(`${TOXIPROXY_IMAGE_REPOSITORY}:`)) {
      throw new Error(
        `${KIND_MANIFEST_FILES.toxiproxy}: image ${container.image} pins a tag; write "${TOXIPROXY_IMAGE_REPOSITORY}" ` +
          `without one: the tag comes from cluster/versions.json ("toxiproxy": "${versions.toxiproxy}")`,
      );
    }
  }

  return {
    namespaces: readManifestFile(NAMESPACES_FILE),
    kafka,
    topics: readManifestFile(KIND_MANIFEST_FILES.topics),
    toxiproxy,
  };
}

function podContainers(objects: KubeObject[]): { name: string; image: string }[] {
  return objects
    .filter((object) => object.kind === "Deployment")
    .flatMap((object) => (object.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers);
}

export interface KafkaListener {
  name: string;
  port: number;
  type: string;
  tls: boolean;
  configuration?: {
    advertisedHostTemplate?: string;
    advertisedPortTemplate?: string;
    bootstrap?: { nodePort?: number };
    brokers?: { broker: number; nodePort?: number; advertisedHost?: string; advertisedPort?: number }[];
  };
}

export interface ToxiproxyProxyConfig {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

/** Names, ids and ports of the kind lab, read from the rendered manifests. */
export interface KindLabTopology {
  kafkaNamespace: string;
  kafkaName: string;
  poolName: string;
  nodeIds: number[];
  /** In-cluster bootstrap of the direct listener (healer, instruments): `<name>-kafka-bootstrap.<ns>.svc:<port>`. */
  directBootstrap: string;
  /** In-cluster addresses of the Toxiproxy proxies in front of the apps listener, one per broker. */
  workloadBootstrap: string[];
  /** Host-side bootstrap of the nodeport listener. */
  hostBootstrap: string;
  /** Every host port the lab needs published by kind (Kafka nodeport listener, Toxiproxy API and proxies). */
  hostPorts: number[];
  /** Per broker, what the host dials on each path: the published proxy (workloads) and listener `host` (direct). */
  brokerHostPaths: BrokerPaths[];
  toxiproxyApiHostPort: number;
  /** Proxy name per node id. */
  proxyNames: Map<number, string>;
  topics: string[];
}

export const LISTENER_NAMES = { direct: "direct", apps: "apps", host: "host" } as const;
const TOXIPROXY_API_SERVICE = "kafka-proxy-api";
const TOXIPROXY_HOST_SERVICE = "kafka-proxy-host";
const HOST_LOOPBACK = "127.0.0.1";

export function kindLabTopology(manifests: KindLabManifests): KindLabTopology {
  const kafka = single(manifests.kafka, "Kafka", KIND_MANIFEST_FILES.kafka);
  const pool = single(manifests.kafka, "KafkaNodePool", KIND_MANIFEST_FILES.kafka);
  const kafkaNamespace = kafka.metadata.namespace ?? "kafka";
  const listeners = (kafka.spec as { kafka: { listeners: KafkaListener[] } }).kafka.listeners;
  const listener = (name: string) => {
    const found = listeners.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`${KIND_MANIFEST_FILES.kafka}: Kafka ${kafka.metadata.name} has no listener named "${name}"`);
    return found;
  };
  const direct = listener(LISTENER_NAMES.direct);
  const host = listener(LISTENER_NAMES.host);
  const apps = listener(LISTENER_NAMES.apps);

  const nodeIds = parseNodeIdRange(pool.metadata.annotations?.["strimzi.io/next-node-ids"], (pool.spec as { replicas: number }).replicas);
  const hostBrokers = host.configuration?.brokers ?? [];
  const bootstrapNodePort = host.configuration?.bootstrap?.nodePort;
  if (bootstrapNodePort === undefined || hostBrokers.length !== nodeIds.length) {
    throw new Error(
      `${KIND_MANIFEST_FILES.kafka}: listener "host" needs bootstrap.nodePort and one brokers[] entry per node id (${nodeIds.join(", ")})`,
    );
  }

  const toxiproxyConfigMap = manifests.toxiproxy.find((object) => object.kind === "ConfigMap");
  const proxies = JSON.parse((toxiproxyConfigMap?.data as Record<string, string> | undefined)?.["toxiproxy.json"] ?? "[]") as ToxiproxyProxyConfig[];
  const proxyNames = new Map<number, string>();
  for (const nodeId of nodeIds) {
    const proxy = proxies.find((candidate) => candidate.upstream.startsWith(`${kafka.metadata.name}-${pool.metadata.name}-${nodeId}.`));
    if (!proxy) throw new Error(`${KIND_MANIFEST_FILES.toxiproxy}: no Toxiproxy proxy forwards to broker ${nodeId}`);
    proxyNames.set(nodeId, proxy.name);
  }

  const apiService = manifests.toxiproxy.find((object) => object.kind === "Service" && object.metadata.name === TOXIPROXY_API_SERVICE);
  const toxiproxyApiHostPort = (apiService?.spec as { ports?: { nodePort?: number }[] } | undefined)?.ports?.[0]?.nodePort;
  if (toxiproxyApiHostPort === undefined) {
    throw new Error(`${KIND_MANIFEST_FILES.toxiproxy}: no NodePort Service with a fixed nodePort for the Toxiproxy API`);
  }
  const proxyHostService = manifests.toxiproxy.find((object) => object.kind === "Service" && object.metadata.name === TOXIPROXY_HOST_SERVICE);
  const proxyHostPorts = (proxyHostService?.spec as { ports?: { name?: string; nodePort?: number }[] } | undefined)?.ports ?? [];
  const brokerHostPaths = nodeIds.map((nodeId, index) => {
    const proxyPort = proxyHostPorts.find((port) => port.name === `broker-${nodeId}`)?.nodePort;
    const directPort = hostBrokers.find((broker) => broker.broker === nodeId)?.nodePort ?? hostBrokers[index]?.nodePort;
    if (proxyPort === undefined || directPort === undefined) {
      throw new Error(
        `${KIND_MANIFEST_FILES.toxiproxy} / ${KIND_MANIFEST_FILES.kafka}: broker ${nodeId} needs a fixed nodePort on Service ${TOXIPROXY_HOST_SERVICE} (port broker-${nodeId}) and on listener "host"`,
      );
    }
    return { nodeId, workloads: { host: HOST_LOOPBACK, port: proxyPort }, direct: { host: HOST_LOOPBACK, port: directPort } };
  });

  return {
    kafkaNamespace,
    kafkaName: kafka.metadata.name,
    poolName: pool.metadata.name,
    nodeIds,
    directBootstrap: `${kafka.metadata.name}-kafka-bootstrap.${kafkaNamespace}.svc:${direct.port}`,
    workloadBootstrap: nodeIds.map((nodeId) => `${advertisedHost(apps, nodeId)}:${advertisedPort(apps, nodeId)}`),
    hostBootstrap: `${HOST_LOOPBACK}:${bootstrapNodePort}`,
    hostPorts: [bootstrapNodePort, ...hostBrokers.map((broker) => broker.nodePort ?? Number.NaN), toxiproxyApiHostPort, ...brokerHostPaths.map((paths) => paths.workloads.port)],
    brokerHostPaths,
    toxiproxyApiHostPort,
    proxyNames,
    topics: manifests.topics.map((topic) => (topic.spec as { topicName?: string }).topicName ?? topic.metadata.name),
  };
}

function single(objects: KubeObject[], kind: string, file: string): KubeObject {
  const matching = objects.filter((object) => object.kind === kind);
  if (matching.length !== 1) throw new Error(`${file}: expected exactly one ${kind}, found ${matching.length}`);
  return matching[0]!;
}

/** `"[1-3]"` → [1, 2, 3] (Strimzi's next-node-ids syntax, ranges and single ids), first `replicas` of them. */
export function parseNodeIdRange(annotation: string | undefined, replicas: number): number[] {
  if (annotation === undefined) return Array.from({ length: replicas }, (_, index) => index);
  const ids: number[] = [];
  for (const part of annotation.replace(/^\[|\]$/g, "").split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new Error(`strimzi.io/next-node-ids "${annotation}" is not a list of ids and ranges like "[1-3]"`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let id = from; id <= to; id += 1) ids.push(id);
  }
  return ids.slice(0, replicas);
}

function advertisedHost(listener: KafkaListener, nodeId: number): string {
  const template = listener.configuration?.advertisedHostTemplate;
  if (!template) throw new Error(`listener "${listener.name}" needs configuration.advertisedHostTemplate (the proxy address)`);
  return template.replaceAll("{nodeId}", String(nodeId));
}

/** Evaluates Strimzi's advertisedPortTemplate, e.g. `"29090 + {nodeId}"` (only +, -, * and integers). */
export function advertisedPort(listener: KafkaListener, nodeId: number): number {
  const template = listener.configuration?.advertisedPortTemplate;
  if (!template) return listener.port;
  const expression = template.replaceAll("{nodeId}", String(nodeId)).replace(/\s+/g, "");
  if (!/^\d+([-+*]\d+)*$/.test(expression)) {
    throw new Error(`advertisedPortTemplate "${template}" of listener "${listener.name}" is not a sum/product of integers and {nodeId}`);
  }
  // Left to right with * before + and -, as Strimzi documents; small enough to evaluate by hand.
  const terms = expression.split(/(?=[-+])/);
  return terms.reduce((sum, term) => {
    const sign = term.startsWith("-") ? -1 : 1;
    const product = term.replace(/^[-+]/, "").split("*").reduce((acc, factor) => acc * Number(factor), 1);
    return sum + sign * product;
  }, 0);
}
