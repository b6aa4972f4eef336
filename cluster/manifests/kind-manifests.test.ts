/**
 * The kind lab's files must agree with each other and with versions.json: node ids, node ports, kind's
 * port mappings, the Toxiproxy proxies and the apps listener's advertised addresses all key on each other.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LAB_TOPICS } from "../topics.ts";
import versions from "../versions.json" with { type: "json" };
import { publishedHostPorts, readKindConfigTemplate, renderKindConfig } from "../kind/config.ts";
import {
  KIND_MANIFEST_FILES,
  type KafkaListener,
  type KubeObject,
  type ToxiproxyProxyConfig,
  advertisedPort,
  kindLabTopology,
  parseNodeIdRange,
  readManifestFile,
  renderKindLabManifests,
} from "./kind-manifests.ts";

const manifests = renderKindLabManifests();
const topology = kindLabTopology(manifests);
const kafka = manifests.kafka.find((object) => object.kind === "Kafka")!;
const kafkaSpec = kafka.spec as { kafka: { version: string; listeners: KafkaListener[]; config: Record<string, unknown> } };
const listener = (name: string) => kafkaSpec.kafka.listeners.find((candidate) => candidate.name === name)!;

describe("kind lab manifests", () => {
  it("namespaces.yaml declares the lab's three namespaces", () => {
    expect(manifests.namespaces.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      "Namespace/streamforge",
      "Namespace/kafka",
      "Namespace/argo-rollouts",
    ]);
  });

  it("pins no version in the files; rendering takes them from versions.json", () => {
    const raw = readManifestFile(KIND_MANIFEST_FILES.kafka).find((object) => object.kind === "Kafka")!;
    expect((raw.spec as { kafka: { version?: string } }).kafka.version).toBeUndefined();
    expect(kafkaSpec.kafka.version).toBe(versions.kafka);
    const images = manifests.toxiproxy
      .filter((object) => object.kind === "Deployment")
      .flatMap((object) => (object.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers.map((c) => c.image));
    expect(images).toEqual([`ghcr.io/shopify/toxiproxy:${versions.toxiproxy.replace(/^v/, "")}`]);
    for (const node of readKindConfigTemplate().nodes) expect(node.image).toBeUndefined();
  });

  it("Kafka: 3 KRaft nodes with both roles, replication factor 3, min.insync.replicas 2, no auto-created topics", () => {
    const pool = manifests.kafka.find((object) => object.kind === "KafkaNodePool")!;
    expect(pool.metadata.labels?.["strimzi.io/cluster"]).toBe(kafka.metadata.name);
    expect(pool.spec).toMatchObject({ replicas: 3, roles: ["controller", "broker"] });
    expect(kafkaSpec.kafka.config).toMatchObject({
      "default.replication.factor": 3,
      "min.insync.replicas": 2,
      "offsets.topic.replication.factor": 3,
      "transaction.state.log.replication.factor": 3,
      "transaction.state.log.min.isr": 2,
      "auto.create.topics.enable": false,
    });
    expect(topology.nodeIds).toEqual([1, 2, 3]);
  });

  it("topics: the list of cluster/topics.ts (names, partitions) with 3 replicas and min.insync.replicas 2 on the lab's Kafka", () => {
    expect(topology.topics).toEqual(["queue-events", "loader-data", "loader-ledger"]);
    expect(manifests.topics.map((topic) => ({ topic: topic.metadata.name, numPartitions: (topic.spec as { partitions: number }).partitions }))).toEqual(LAB_TOPICS);
    for (const topic of manifests.topics) {
      expect(topic.metadata.namespace).toBe(kafka.metadata.namespace);
      expect(topic.metadata.labels?.["strimzi.io/cluster"]).toBe(kafka.metadata.name);
      expect(topic.spec).toMatchObject({ replicas: 3, config: { "min.insync.replicas": 2 } });
      expect((topic.spec as { partitions: number }).partitions).toBeGreaterThanOrEqual(3);
    }
  });

  it("the host listener advertises 127.0.0.1 and node ports that kind publishes, one per node id", () => {
    const host = listener("host");
    expect(host).toMatchObject({ type: "nodeport", tls: false });
    expect(host.configuration!.brokers!.map((broker) => broker.broker)).toEqual(topology.nodeIds);
    for (const broker of host.configuration!.brokers!) {
      expect(broker.advertisedHost).toBe("127.0.0.1");
      expect(broker.advertisedPort).toBe(broker.nodePort);
    }
    expect(topology.hostBootstrap).toBe(`127.0.0.1:${host.configuration!.bootstrap!.nodePort}`);
    expect([...publishedHostPorts()].sort()).toEqual([...topology.hostPorts].sort());
    for (const node of readKindConfigTemplate().nodes) {
      for (const mapping of node.extraPortMappings ?? []) {
        expect(mapping).toMatchObject({ containerPort: mapping.hostPort, listenAddress: "127.0.0.1" });
        expect(mapping.hostPort).toBeGreaterThanOrEqual(30000);
        expect(mapping.hostPort).toBeLessThanOrEqual(32767);
      }
    }
  });

  it("workloads reach each broker only through its Toxiproxy proxy; the direct listener bypasses it", () => {
    const apps = listener("apps");
    const proxies = JSON.parse(
      (manifests.toxiproxy.find((object) => object.kind === "ConfigMap")!.data as Record<string, string>)["toxiproxy.json"]!,
    ) as ToxiproxyProxyConfig[];
    const proxyService = manifests.toxiproxy.find((object) => object.kind === "Service" && object.metadata.name === "kafka-proxy")!;
    const servicePorts = (proxyService.spec as { ports: { port: number }[] }).ports.map((port) => port.port);
    const deployment = manifests.toxiproxy.find((object) => object.kind === "Deployment")!;
    const containerPorts = (deployment.spec as { template: { spec: { containers: { ports: { containerPort: number }[] }[] } } }).template.spec.containers[0]!.ports.map(
      (port) => port.containerPort,
    );
    for (const nodeId of topology.nodeIds) {
      const port = advertisedPort(apps, nodeId);
      const proxy = proxies.find((candidate) => candidate.name === topology.proxyNames.get(nodeId))!;
      expect(proxy.listen).toBe(`0.0.0.0:${port}`);
      expect(proxy.upstream).toBe(`${kafka.metadata.name}-${"dual-role"}-${nodeId}.${kafka.metadata.name}-kafka-brokers.${kafka.metadata.namespace}.svc:${apps.port}`);
      expect(servicePorts).toContain(port);
      expect(containerPorts).toContain(port);
      expect(apps.configuration!.advertisedHostTemplate).toBe(`${proxyService.metadata.name}.${proxyService.metadata.namespace}.svc`);
    }
    expect(topology.workloadBootstrap).toEqual(["kafka-proxy.kafka.svc:29091", "kafka-proxy.kafka.svc:29092", "kafka-proxy.kafka.svc:29093"]);
    expect(topology.directBootstrap).toBe("chaoslab-kafka-bootstrap.kafka.svc:9092");
    expect(listener("direct")).toMatchObject({ type: "internal", tls: false });
    expect(listener("direct").configuration).toBeUndefined();
  });

  it("every kind-lab object lives in the kafka namespace", () => {
    const all: KubeObject[] = [...manifests.kafka, ...manifests.topics, ...manifests.toxiproxy];
    expect(new Set(all.map((object) => object.metadata.namespace))).toEqual(new Set(["kafka"]));
  });
});

describe("kind cluster config", () => {
  it("renders 1 control plane and 2 workers on the pinned node image", () => {
    const rendered = parse(renderKindConfig(versions)) as { kind: string; apiVersion: string; name: string; nodes: { role: string; image: string }[] };
    expect(rendered).toMatchObject({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", name: "chaoslab" });
    expect(rendered.nodes.map((node) => node.role)).toEqual(["control-plane", "worker", "worker"]);
    expect(new Set(rendered.nodes.map((node) => node.image))).toEqual(new Set([versions.kindNodeImage]));
  });

  it("refuses a template that pins a node image itself", () => {
    const template = readKindConfigTemplate();
    template.nodes[1]!.image = "kindest/node:v1.30.0";
    expect(() => renderKindConfig(versions, template)).toThrow(/remove it: the node image comes from cluster\/versions.json/);
  });
});

describe("Strimzi listener templates", () => {
  it("evaluates advertisedPortTemplate arithmetic like Strimzi", () => {
    const listenerWith = (template: string): KafkaListener => ({ name: "x", port: 9093, type: "internal", tls: false, configuration: { advertisedPortTemplate: template } });
    expect(advertisedPort(listenerWith("29090 + {nodeId}"), 2)).toBe(29092);
    expect(advertisedPort(listenerWith("9000 + {nodeId} * 10 - 1"), 3)).toBe(9029);
    expect(advertisedPort(listenerWith("9000"), 3)).toBe(9000);
    expect(() => advertisedPort(listenerWith("9000 / {nodeId}"), 3)).toThrow(/not a sum\/product/);
  });

  it("parses strimzi.io/next-node-ids ranges", () => {
    expect(parseNodeIdRange("[1-3]", 3)).toEqual([1, 2, 3]);
    expect(parseNodeIdRange("[0, 5-6, 10]", 4)).toEqual([0, 5, 6, 10]);
    expect(parseNodeIdRange(undefined, 3)).toEqual([0, 1, 2]);
    expect(() => parseNodeIdRange("[a-b]", 2)).toThrow(/not a list of ids/);
  });
});
