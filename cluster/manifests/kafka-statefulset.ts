/**
 * The air-gapped kind lab's Kafka: the same cluster the Strimzi manifests describe (cluster/manifests/kind/
 * kafka.yaml: name, node pool, node ids, listeners `direct`/`apps`/`host`, broker config, resources), run
 * as a StatefulSet of the offline Kafka image, because Strimzi's operator is on no registry reachable here.
 *
 * Rendered from the Strimzi manifests, not written a second time, so both paths keep one contract:
 * - pods are named as Strimzi names them (`<cluster>-<pool>-<nodeId>`: `spec.ordinals.start` is the first
 *   node id) behind a headless Service of Strimzi's name (`<cluster>-kafka-brokers`), so Toxiproxy's
 *   upstreams (toxiproxy.yaml) and the in-cluster bootstrap (`<cluster>-kafka-bootstrap:9092`) are the same;
 * - listener `host` gets NodePort Services at the node ports kafka.yaml gives (bootstrap, one per broker),
 *   advertised as 127.0.0.1:<port> like Strimzi's nodeport listener;
 * - broker config is spec.kafka.config; resources and heap come from the node pool.
 * Topics are created through the admin API (no Topic Operator): cluster/kafka/lab-topics.ts.
 */
import type { KindLabManifests, KindLabTopology, KafkaListener, KubeObject } from "./kind-manifests.ts";
import { LISTENER_NAMES, advertisedPort } from "./kind-manifests.ts";

/** A fixed KRaft cluster id: the data directory is formatted once; a recreated pod keeps its volume. */
const CLUSTER_ID = "Q2hhb3NMYWJLaW5kT2ZmbA";
const CONTROLLER_PORT = 9090;
const PART_OF = { "app.kubernetes.io/part-of": "streamforge-chaoslab" };

export interface StatefulSetKafka {
  objects: KubeObject[];
  /** Label selector of the broker pods (for StatefulSetBrokerHandles and status). */
  selector: string;
  statefulSet: string;
  /** Node id of ordinal 0 (StatefulSetBrokerHandles: node id = ordinal + firstNodeId); ordinals start at the first id. */
  firstNodeId: number;
}

interface PoolSpec {
  replicas: number;
  storage?: { volumes?: { size?: string }[] };
  resources?: Record<string, unknown>;
  jvmOptions?: Record<string, string>;
}

/** What every part of the rendering reads: names from the topology, listeners and pool from the Strimzi manifests. */
interface Rendering {
  namespace: string;
  kafkaName: string;
  statefulSet: string;
  headless: string;
  ids: number[];
  labels: Record<string, string>;
  selectorLabels: Record<string, string>;
  direct: KafkaListener;
  apps: KafkaListener;
  host: KafkaListener;
  kafkaConfig: Record<string, unknown>;
  poolSpec: PoolSpec;
  image: string;
}

export function renderStatefulSetKafka(manifests: KindLabManifests, topology: KindLabTopology, image: string): StatefulSetKafka {
  const kafka = manifests.kafka.find((object) => object.kind === "Kafka")!;
  const pool = manifests.kafka.find((object) => object.kind === "KafkaNodePool")!;
  const spec = kafka.spec as { kafka: { listeners: KafkaListener[]; config?: Record<string, unknown> } };
  const listener = (name: string) => spec.kafka.listeners.find((candidate) => candidate.name === name)!;
  const { kafkaNamespace: namespace, kafkaName, poolName, nodeIds } = topology;
  const ids = [...nodeIds].sort((a, b) => a - b);
  if (ids.some((id, index) => id !== ids[0]! + index)) {
    throw new Error(`node ids [${ids.join(", ")}] are not contiguous: a StatefulSet's ordinals are (cluster/manifests/kind/kafka.yaml, strimzi.io/next-node-ids)`);
  }
  const selectorLabels = { "app.kubernetes.io/name": "kafka", "app.kubernetes.io/instance": kafkaName };
  const rendering: Rendering = {
    namespace,
    kafkaName,
    statefulSet: `${kafkaName}-${poolName}`,
    headless: `${kafkaName}-kafka-brokers`,
    ids,
    labels: { ...selectorLabels, ...PART_OF },
    selectorLabels,
    direct: listener(LISTENER_NAMES.direct),
    apps: listener(LISTENER_NAMES.apps),
    host: listener(LISTENER_NAMES.host),
    kafkaConfig: spec.kafka.config ?? {},
    poolSpec: pool.spec as PoolSpec,
    image,
  };
  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${kafkaName}-kraft`, namespace, labels: rendering.labels },
      data: Object.fromEntries(ids.map((id) => [`server-${id}.properties`, brokerProperties(rendering, id)])),
    },
    ...brokerServices(rendering),
    brokerStatefulSet(rendering),
  ];
  return {
    objects,
    statefulSet: rendering.statefulSet,
    selector: Object.entries(selectorLabels).map(([key, value]) => `${key}=${value}`).join(","),
    firstNodeId: 0,
  };
}

function podDns(rendering: Rendering, id: number): string {
  return `${rendering.statefulSet}-${id}.${rendering.headless}.${rendering.namespace}.svc`;
}

/** server-<id>.properties: KRaft dual role, the listeners advertised as Strimzi would, the Kafka CR's config. */
function brokerProperties(rendering: Rendering, id: number): string {
  const { ids, direct, apps, host } = rendering;
  const hostBroker = (host.configuration?.brokers ?? []).find((broker) => broker.broker === id);
  const lines = [
    "process.roles=broker,controller",
    `node.id=${id}`,
    `controller.quorum.voters=${ids.map((voter) => `${voter}@${podDns(rendering, voter)}:${CONTROLLER_PORT}`).join(",")}`,
    `listeners=CONTROLLER://0.0.0.0:${CONTROLLER_PORT},DIRECT://0.0.0.0:${direct.port},APPS://0.0.0.0:${apps.port},HOST://0.0.0.0:${host.port}`,
    "advertised.listeners=" +
      [
        `DIRECT://${podDns(rendering, id)}:${direct.port}`,
        `APPS://${apps.configuration!.advertisedHostTemplate!.replaceAll("{nodeId}", String(id))}:${advertisedPort(apps, id)}`,
        `HOST://${hostBroker?.advertisedHost ?? "127.0.0.1"}:${hostBroker?.advertisedPort ?? hostBroker?.nodePort}`,
      ].join(","),
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,DIRECT:PLAINTEXT,APPS:PLAINTEXT,HOST:PLAINTEXT",
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=DIRECT",
    "log.dirs=/var/lib/kafka/data",
    ...Object.entries(rendering.kafkaConfig).map(([key, value]) => `${key}=${String(value)}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Strimzi's Service names (Toxiproxy's upstreams resolve them): headless, bootstrap, and the host NodePorts kind publishes. */
function brokerServices(rendering: Rendering): KubeObject[] {
  const { namespace, kafkaName, statefulSet, headless, labels, selectorLabels, direct, apps, host } = rendering;
  const hostBrokers = host.configuration?.brokers ?? [];
  const port = (name: string, number: number) => ({ name, port: number, targetPort: number });
  const nodePortService = (name: string, nodePort: number, extraSelector: Record<string, string> = {}): KubeObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: { type: "NodePort", selector: { ...selectorLabels, ...extraSelector }, ports: [{ name: "host", port: host.port, targetPort: host.port, nodePort }] },
  });
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: headless, namespace, labels },
      // Not-ready pods resolve too: the KRaft voters must find each other before any is Ready.
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: selectorLabels, ports: [port("controller", CONTROLLER_PORT), port("direct", direct.port), port("apps", apps.port)] },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${kafkaName}-kafka-bootstrap`, namespace, labels },
      spec: { selector: selectorLabels, ports: [port("direct", direct.port)] },
    },
    nodePortService(`${kafkaName}-kafka-host-bootstrap`, host.configuration!.bootstrap!.nodePort!),
    ...rendering.ids.map((id) =>
      nodePortService(`${statefulSet}-host-${id}`, hostBrokers.find((broker) => broker.broker === id)!.nodePort!, { "statefulset.kubernetes.io/pod-name": `${statefulSet}-${id}` }),
    ),
  ];
}

/** One pod per node id, ordinals = node ids, persistent data like the Strimzi pool's. */
function brokerStatefulSet(rendering: Rendering): KubeObject {
  const { namespace, kafkaName, statefulSet, headless, ids, labels, selectorLabels, direct, apps, host, poolSpec, image } = rendering;
  const heap = [poolSpec.jvmOptions?.["-Xms"] && `-Xms${poolSpec.jvmOptions["-Xms"]}`, poolSpec.jvmOptions?.["-Xmx"] && `-Xmx${poolSpec.jvmOptions["-Xmx"]}`].filter(Boolean).join(" ");
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: statefulSet, namespace, labels },
    spec: {
      serviceName: headless,
      replicas: ids.length,
      // Pod <statefulSet>-<n> is node n, as Strimzi names its pods.
      ordinals: { start: ids[0] },
      podManagementPolicy: "Parallel",
      selector: { matchLabels: selectorLabels },
      template: {
        metadata: { labels },
        spec: {
          // kind's default StorageClass hands out root-owned host-path directories (fsGroup does not apply
          // to them), so the broker runs as root inside its container.
          securityContext: { runAsUser: 0 },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "kafka",
              image,
              imagePullPolicy: "Never",
              env: [
                { name: "KAFKA_CLUSTER_ID", value: CLUSTER_ID },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "KAFKA_HEAP_OPTS", value: heap || "-Xms256m -Xmx512m" },
              ],
              ports: [
                { name: "controller", containerPort: CONTROLLER_PORT },
                { name: "direct", containerPort: direct.port },
                { name: "apps", containerPort: apps.port },
                { name: "host", containerPort: host.port },
              ],
              readinessProbe: { tcpSocket: { port: direct.port }, periodSeconds: 5 },
              ...(poolSpec.resources ? { resources: poolSpec.resources } : {}),
              volumeMounts: [
                { name: "data", mountPath: "/var/lib/kafka" },
                { name: "config", mountPath: "/etc/kafka" },
              ],
            },
          ],
          volumes: [{ name: "config", configMap: { name: `${kafkaName}-kraft` } }],
        },
      },
      // Persistent like the Strimzi pool's: a deleted broker pod comes back with its log and KRaft metadata.
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: poolSpec.storage?.volumes?.[0]?.size ?? "2Gi" } } },
        },
      ],
    },
  };
}
