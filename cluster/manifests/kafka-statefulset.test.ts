/**
 * The air-gapped Kafka StatefulSet is rendered from the Strimzi manifests, so both keep one contract:
 * Strimzi's pod and Service names (Toxiproxy's upstreams), the listeners' advertised addresses, the
 * host NodePorts kind publishes, and the broker config.
 */
import { describe, expect, it } from "vitest";
import { kindLabTopology, readManifestFile, renderKindLabManifests } from "./kind-manifests.ts";
import { KIND_MANIFEST_FILES } from "./kind-manifests.ts";
import { renderStatefulSetKafka } from "./kafka-statefulset.ts";

const manifests = renderKindLabManifests();
const topology = kindLabTopology(manifests);
const rendered = renderStatefulSetKafka(manifests, topology, "chaoslab/kafka:4.3.1-x");
const byKind = (kind: string) => rendered.objects.filter((object) => object.kind === kind) as Record<string, any>[];

describe("renderStatefulSetKafka", () => {
  it("names pods and Services as Strimzi does, so Toxiproxy's upstreams resolve to the brokers", () => {
    const set = byKind("StatefulSet")[0]!;
    expect(set.metadata.name).toBe("chaoslab-dual-role");
    expect(set.spec.ordinals).toEqual({ start: 1 });
    expect(set.spec.replicas).toBe(3);
    expect(set.spec.serviceName).toBe("chaoslab-kafka-brokers");
    const proxies = JSON.parse((manifests.toxiproxy.find((object) => object.kind === "ConfigMap")!.data as Record<string, string>)["toxiproxy.json"]!) as { upstream: string }[];
    const podDns = [1, 2, 3].map((id) => `chaoslab-dual-role-${id}.chaoslab-kafka-brokers.kafka.svc:9093`);
    expect(proxies.map((proxy) => proxy.upstream)).toEqual(podDns);
    expect(byKind("Service").map((service) => service.metadata.name)).toEqual(
      expect.arrayContaining(["chaoslab-kafka-brokers", "chaoslab-kafka-bootstrap"]),
    );
    expect(topology.directBootstrap).toBe("chaoslab-kafka-bootstrap.kafka.svc:9092");
  });

  it("advertises each listener as kafka.yaml says: direct by pod DNS, apps through its proxy, host on 127.0.0.1:<node port>", () => {
    const data = byKind("ConfigMap")[0]!.data as Record<string, string>;
    expect(Object.keys(data)).toEqual(["server-1.properties", "server-2.properties", "server-3.properties"]);
    const two = data["server-2.properties"]!;
    expect(two).toContain("node.id=2\n");
    expect(two).toContain(
      "advertised.listeners=DIRECT://chaoslab-dual-role-2.chaoslab-kafka-brokers.kafka.svc:9092,APPS://kafka-proxy.kafka.svc:29092,HOST://127.0.0.1:30092\n",
    );
    expect(two).toContain("controller.quorum.voters=1@chaoslab-dual-role-1.chaoslab-kafka-brokers.kafka.svc:9090,2@chaoslab-dual-role-2.chaoslab-kafka-brokers.kafka.svc:9090,3@chaoslab-dual-role-3.chaoslab-kafka-brokers.kafka.svc:9090\n");
    for (const line of ["min.insync.replicas=2", "default.replication.factor=3", "auto.create.topics.enable=false"]) expect(two).toContain(`${line}\n`);
  });

  it("publishes listener host on the node ports kind maps to 127.0.0.1, one Service per broker pod", () => {
    const nodePorts = byKind("Service")
      .filter((service) => service.spec.type === "NodePort")
      .map((service) => [service.spec.ports[0].nodePort, service.spec.selector["statefulset.kubernetes.io/pod-name"] ?? "all"]);
    expect(nodePorts).toEqual([
      [30090, "all"],
      [30091, "chaoslab-dual-role-1"],
      [30092, "chaoslab-dual-role-2"],
      [30093, "chaoslab-dual-role-3"],
    ]);
    const hostPaths = topology.brokerHostPaths.map((paths) => paths.direct.port);
    expect(hostPaths).toEqual([30091, 30092, 30093]);
  });

  it("takes resources and heap from the node pool, never pulls, and says how to find its pods", () => {
    const container = byKind("StatefulSet")[0]!.spec.template.spec.containers[0];
    expect(container.imagePullPolicy).toBe("Never");
    expect(container.resources.limits.memory).toBe("1Gi");
    expect(container.env.find((env: { name: string }) => env.name === "KAFKA_HEAP_OPTS").value).toBe("-Xms256m -Xmx512m");
    expect(rendered.selector).toBe("app.kubernetes.io/name=kafka,app.kubernetes.io/instance=chaoslab");
    expect(byKind("StatefulSet")[0]!.spec.template.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "kafka", "app.kubernetes.io/instance": "chaoslab" });
  });

  it("refuses node ids a StatefulSet cannot have", () => {
    const gappy = { ...topology, nodeIds: [1, 3, 4] };
    expect(() => renderStatefulSetKafka(manifests, gappy, "x")).toThrow(/node ids \[1, 3, 4\] are not contiguous/);
  });

  it("reads the same kafka.yaml the Strimzi path applies", () => {
    expect(readManifestFile(KIND_MANIFEST_FILES.kafka).map((object) => object.kind)).toEqual(["KafkaNodePool", "Kafka"]);
  });
});
