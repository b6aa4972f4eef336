/**
 * Where the existing provider finds Kafka: a Strimzi Kafka (CHAOSLAB_KAFKA) that must be Ready, with
 * the addresses its listeners report, or Kafka given by address (CHAOSLAB_KAFKA_BOOTSTRAP, brokers in
 * a StatefulSet with CHAOSLAB_KAFKA_BROKERS); and the lab's KafkaTopics on a Strimzi Kafka.
 */
import type { LabDescription } from "../../provider.ts";
import type { Clock } from "../../kind/wait.ts";
import { type Condition, type Kubectl, findCondition } from "../../kind/kubectl.ts";
import { StrimziBrokerHandles } from "../../kind/strimzi-brokers.ts";
import type { KafkaListener, KindLabManifests, KubeObject } from "../../manifests/kind-manifests.ts";

export type KafkaRef = { namespace: string; name: string };

/** What the lookups need of the provider: the cluster, the Kafka it was told to use, and the environment. */
export interface ExistingKafkaCluster {
  kubectl: Kubectl;
  kafkaRef: KafkaRef;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}

export interface KafkaResource {
  metadata: { name: string; namespace: string };
  spec: { kafka: { listeners: KafkaListener[] } };
  status?: { conditions?: Condition[]; kafkaVersion?: string; listeners?: { name: string; bootstrapServers?: string }[] };
}

export type KafkaSource = {
  host: string[];
  workloads: string[];
  instruments: string[];
  brokers: NonNullable<LabDescription["kafka"]["brokers"]>;
  /** For the report's environment: who runs Kafka here. */
  operator: string;
  version: string;
} & ({ kind: "strimzi"; resource: KafkaResource } | { kind: "bootstrap" });

/**
 * Where Kafka is: a Strimzi Kafka (CHAOSLAB_KAFKA, default kafka/chaoslab) when Strimzi runs and it
 * exists; else Kafka given by bootstrap servers (CHAOSLAB_KAFKA_BOOTSTRAP) — brokers in a StatefulSet
 * (CHAOSLAB_KAFKA_BROKERS) or out of the lab's reach (broker faults then skipped).
 */
export async function resolveKafkaSource(cluster: ExistingKafkaCluster, strimziProblems: string[], context: string): Promise<KafkaSource> {
  const { env, kafkaRef } = cluster;
  const strimziKafka = strimziProblems.length === 0 ? await readStrimziKafka(cluster) : undefined;
  if (strimziKafka) {
    const bootstraps = listenerBootstraps(env, strimziKafka);
    return {
      kind: "strimzi",
      resource: strimziKafka,
      host: bootstraps.host,
      workloads: bootstraps.workloads,
      instruments: bootstraps.instruments,
      brokers: { kind: "strimzi", namespace: kafkaRef.namespace, name: kafkaRef.name },
      operator: `Strimzi (Kafka ${kafkaRef.namespace}/${kafkaRef.name})`,
      version: strimziKafka.status?.kafkaVersion ?? "unknown",
    };
  }
  const host = splitList(env.CHAOSLAB_KAFKA_BOOTSTRAP);
  if (host.length === 0) {
    const why = strimziProblems.length > 0 ? strimziProblems.map((line) => `  - ${line}`).join("\n") : `  - there is no Strimzi Kafka ${kafkaRef.namespace}/${kafkaRef.name}`;
    throw new Error(
      `the cluster of context "${context}" has no Kafka the lab can use:\n${why}\n` +
        "What to do: either point CHAOSLAB_KAFKA=<namespace>/<name> at a Strimzi Kafka, or give your Kafka by address: " +
        "CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,...> (reachable from this machine), CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP=<host:port,...> (what pods dial; default the same) " +
        "and, for broker faults, CHAOSLAB_KAFKA_BROKERS=<namespace>/<label selector>[@<first node id>] (the brokers' StatefulSet pods).",
    );
  }
  const inCluster = splitList(env.CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP);
  const brokers = parseBrokerPods(env.CHAOSLAB_KAFKA_BROKERS);
  return {
    kind: "bootstrap",
    host,
    workloads: inCluster.length > 0 ? inCluster : host,
    instruments: inCluster.length > 0 ? inCluster : host,
    brokers: brokers ?? { kind: "unreachable", reason: "Kafka was given by address only (CHAOSLAB_KAFKA_BOOTSTRAP): the lab cannot stop its brokers. Set CHAOSLAB_KAFKA_BROKERS=<namespace>/<label selector> to allow broker faults." },
    operator: brokers ? `StatefulSet (pods ${brokers.namespace}/${brokers.selector})` : "outside the lab's reach (by address)",
    version: "unknown",
  };
}

async function readStrimziKafka(cluster: ExistingKafkaCluster): Promise<KafkaResource | undefined> {
  const { namespace, name } = cluster.kafkaRef;
  const stdout = await cluster.kubectl.run(["get", "kafkas.kafka.strimzi.io", name, "--namespace", namespace, "--ignore-not-found", "-o", "json"], {
    what: `read Kafka ${namespace}/${name}`,
    hint: "check the context's permissions",
  });
  return stdout.trim() === "" ? undefined : readyKafka(cluster.kafkaRef, JSON.parse(stdout) as KafkaResource);
}

/** The lab's KafkaTopics in the Strimzi Kafka's namespace, Ready; returns the node ids. */
export async function strimziTopics(cluster: ExistingKafkaCluster, manifests: KindLabManifests): Promise<number[]> {
  const topics = manifests.topics.map((topic) => retargetTopic(topic, cluster.kafkaRef));
  await cluster.kubectl.apply(topics, {
    what: `apply the lab's KafkaTopics into ${cluster.kafkaRef.namespace}`,
    hint: `you need permission to create kafkatopics in namespace ${cluster.kafkaRef.namespace}`,
  });
  await cluster.kubectl.run(
    ["wait", "--for=condition=Ready", "--timeout=180s", "--namespace", cluster.kafkaRef.namespace, ...topics.map((topic) => `kafkatopics.kafka.strimzi.io/${topic.metadata.name}`)],
    {
      what: `wait for the lab's KafkaTopics in ${cluster.kafkaRef.namespace}`,
      hint: `check that the Kafka ${cluster.kafkaRef.name} runs a Topic Operator (spec.entityOperator.topicOperator) and look at the KafkaTopics' status`,
      timeoutMs: 200_000,
    },
  );
  const brokers = new StrimziBrokerHandles(cluster.kubectl, { namespace: cluster.kafkaRef.namespace, kafkaName: cluster.kafkaRef.name }, cluster.clock);
  return (await brokers.list()).map((broker) => broker.nodeId);
}

/** A Strimzi Kafka that exists must be Ready: a broken one is an error, not a reason to look elsewhere. */
function readyKafka(kafkaRef: KafkaRef, kafka: KafkaResource): KafkaResource {
  const { namespace, name } = kafkaRef;
  const ready = findCondition(kafka, "Ready");
  if (ready?.status !== "True") {
    throw new Error(
      `Kafka ${namespace}/${name} is not Ready (${ready ? `${ready.reason ?? ready.status}: ${ready.message ?? ""}` : "no Ready condition"}).\n` +
        `What to do: \`kubectl -n ${namespace} describe kafka ${name}\` and the Strimzi operator's log.`,
    );
  }
  return kafka;
}

function listenerBootstraps(env: ExistingKafkaCluster["env"], kafka: KafkaResource): { instruments: string[]; workloads: string[]; host: string[] } {
  const listeners = kafka.spec.kafka.listeners;
  const statusOf = (listener: KafkaListener | undefined) =>
    listener ? kafka.status?.listeners?.find((status) => status.name === listener.name)?.bootstrapServers?.split(",") : undefined;
  const plainInternal = listeners.filter((listener) => !listener.tls && (listener.type === "internal" || listener.type === "cluster-ip"));
  const direct = plainInternal.find((listener) => listener.name === "direct") ?? plainInternal.find((listener) => listener.name !== "apps");
  const instruments = statusOf(direct);
  if (!instruments) {
    throw new Error(
      `Kafka ${kafka.metadata.namespace}/${kafka.metadata.name} has no internal listener without TLS (the lab's clients do not do TLS/SASL yet); ` +
        `listeners: ${listeners.map((listener) => `${listener.name}(${listener.type}${listener.tls ? ", tls" : ""})`).join(", ")}.\nWhat to do: add one (see the "direct" listener in cluster/manifests/kind/kafka.yaml).`,
    );
  }
  const workloads = statusOf(listeners.find((listener) => listener.name === "apps" && !listener.tls)) ?? instruments;
  const override = env.CHAOSLAB_KAFKA_BOOTSTRAP?.trim();
  const external = listeners.find((listener) => !listener.tls && ["nodeport", "loadbalancer", "ingress", "route"].includes(listener.type));
  const host = override ? override.split(",").map((address) => address.trim()) : statusOf(external);
  if (!host || host.length === 0) {
    throw new Error(
      `Kafka ${kafka.metadata.namespace}/${kafka.metadata.name} has no listener the harness can reach from this machine (a nodeport/loadbalancer/ingress/route listener without TLS).\n` +
        "What to do: add one, or set CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,...> to an address that reaches the brokers from here.",
    );
  }
  return { instruments, workloads, host };
}

function retargetTopic(topic: KubeObject, kafka: { namespace: string; name: string }): KubeObject {
  return {
    ...topic,
    metadata: { ...topic.metadata, namespace: kafka.namespace, labels: { ...topic.metadata.labels, "strimzi.io/cluster": kafka.name } },
  };
}

export function parseKafkaRef(value: string | undefined): { namespace: string; name: string } {
  if (!value?.trim()) return { namespace: "kafka", name: "chaoslab" };
  const match = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(value.trim());
  if (!match) throw new Error(`CHAOSLAB_KAFKA=${value} is not <namespace>/<name> (e.g. kafka/chaoslab)`);
  return { namespace: match[1]!, name: match[2]! };
}

function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

/** `<namespace>/<label selector>[@<first node id>]`, e.g. `kafka/app=kafka@1`. */
function parseBrokerPods(value: string | undefined): { kind: "statefulset"; namespace: string; selector: string; firstNodeId: number } | undefined {
  if (!value?.trim()) return undefined;
  const match = /^([a-z0-9-]+)\/([^@]+?)(?:@(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`CHAOSLAB_KAFKA_BROKERS=${value} is not <namespace>/<label selector>[@<first node id>] (e.g. kafka/app=kafka@1)`);
  return { kind: "statefulset", namespace: match[1]!, selector: match[2]!, firstNodeId: Number(match[3] ?? 0) };
}
