/**
 * Kafka on kind under Strimzi (the online default): the operator from its release manifest (downloaded
 * once, cached), Kafka + KafkaNodePool + KafkaTopics from cluster/manifests/kind/, readiness from the
 * Kafka resource's Ready condition, node ids from the node pool's status, brokers as StrimziPodSet pods.
 */
import type { LabDescription } from "../provider.ts";
import { STRIMZI_OPERATOR_DEPLOYMENT, cachedManifestPaths, releaseUrls } from "./config.ts";
import { type Download, cachedDownload } from "./download.ts";
import { type KindKafka, type KindKafkaContext, type Log, expectNodeIds, rolloutStatus } from "./kind-kafka.ts";
import { type Condition, deploymentHealth, findCondition } from "./kubectl.ts";
import { StrimziBrokerHandles } from "./strimzi-brokers.ts";
import { retargetStrimziInstall } from "./strimzi-install.ts";
import { formatDuration, pollUntil } from "./wait.ts";
import type { Versions } from "../manifests/kind-manifests.ts";

const KAFKA_READY_MS = 20 * 60_000;
const TOPICS_READY_MS = 5 * 60_000;

const STRIMZI_CRDS = ["kafkas.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "strimzipodsets.core.strimzi.io"];

export class StrimziKafka implements KindKafka {
  readonly operator: string;
  readonly operatorTitle: string;
  readonly kafkaTitle: string;
  readonly crds = STRIMZI_CRDS;

  constructor(
    private readonly context: KindKafkaContext,
    private readonly options: { versions: Versions; cacheDir: string; download: Download },
  ) {
    const { topology } = context;
    this.operator = `Strimzi ${options.versions.strimzi}`;
    this.operatorTitle = `Strimzi ${options.versions.strimzi} operator (namespace ${topology.kafkaNamespace})`;
    this.kafkaTitle = `Kafka ${topology.kafkaNamespace}/${topology.kafkaName} (Kafka ${options.versions.kafka}), topics and Toxiproxy manifests`;
  }

  async installOperator(log: Log): Promise<void> {
    const { versions, cacheDir, download } = this.options;
    const url = releaseUrls(versions).strimzi;
    const { text, fromCache } = await cachedDownload(url, cachedManifestPaths(cacheDir, versions).strimzi, download);
    log(`  ${fromCache ? "cached" : "downloaded"} ${url}`);
    const namespace = this.context.topology.kafkaNamespace;
    const objects = retargetStrimziInstall(text, namespace);
    await this.context.kubectl.apply(objects, { what: `apply the Strimzi ${versions.strimzi} install manifest`, hint: `check the cluster is reachable; the file is cached at ${cacheDir}` }, { namespace, timeoutMs: 300_000 });
  }

  async applyKafka(): Promise<void> {
    const step = (file: string) => ({ what: `apply ${file}`, hint: `the manifest was rejected: fix ${file} (the unit test cluster/manifests/strimzi-manifests.test.ts validates it against the CRDs)` });
    await this.context.kubectl.apply(this.context.manifests.kafka, step("cluster/manifests/kind/kafka.yaml"));
    await this.context.kubectl.apply(this.context.manifests.topics, step("cluster/manifests/kind/topics.yaml"));
  }

  operatorRunning(log: Log): Promise<void> {
    return rolloutStatus(this.context.kubectl, `deployment/${STRIMZI_OPERATOR_DEPLOYMENT}`, this.context.topology.kafkaNamespace, log);
  }

  async waitReady(log: Log): Promise<void> {
    const { kubectl, topology, clock, kubeconfig } = this.context;
    const { kafkaNamespace: namespace, kafkaName: name } = topology;
    await pollUntil({
      what: `Kafka ${namespace}/${name}`,
      timeoutMs: KAFKA_READY_MS,
      intervalMs: 5_000,
      progressEveryMs: 30_000,
      clock,
      log,
      check: async () => {
        const kafka = await kubectl.getJson<{ status?: { conditions?: Condition[] } }>(["get", "kafkas.kafka.strimzi.io", name, "--namespace", namespace], {
          what: `read Kafka ${namespace}/${name}`,
          hint: "check the cluster is reachable",
        });
        const ready = findCondition(kafka, "Ready");
        if (ready?.status === "True") return { done: true, value: undefined };
        if (ready?.status === "False" && /Invalid/i.test(ready.reason ?? "")) {
          throw new Error(`Kafka ${namespace}/${name} was rejected by the Strimzi operator: ${ready.reason}: ${ready.message ?? ""}\nWhat to do: fix cluster/manifests/kind/kafka.yaml.`);
        }
        const pods = await kubectl.getJson<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>(
          ["get", "pods", "--namespace", namespace, "--selector", `strimzi.io/cluster=${name}`],
          { what: `list pods of Kafka ${namespace}/${name}`, hint: "check the cluster is reachable" },
        );
        const podSummary = pods.items.map((pod) => `${pod.metadata.name}=${pod.status?.phase ?? "?"}`).join(" ") || "no pods yet";
        return { done: false, progress: `${ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ""}` : "no Ready condition yet"}; ${podSummary}` };
      },
      timeoutError: (last, waited) =>
        new Error(
          `Kafka ${namespace}/${name} is not Ready after ${formatDuration(waited)} (last seen: ${last}).\n` +
            `What to do: \`kubectl --kubeconfig ${kubeconfig} -n ${namespace} describe kafka ${name}\`, ` +
            `\`kubectl ... -n ${namespace} get pods,pvc\` and the operator log \`kubectl ... -n ${namespace} logs deploy/${STRIMZI_OPERATOR_DEPLOYMENT}\`. ` +
            "Pulling the Kafka image takes a while on a slow network; each broker needs about 1 GiB of memory in Docker.",
        ),
    });
  }

  /** The node ids Strimzi gave the pool must be the ones the manifests key on (node ports, proxies); then the KafkaTopics Ready. */
  async nodeIdsWithTopics(): Promise<number[]> {
    const { kubectl, topology } = this.context;
    const { kafkaNamespace: namespace, poolName } = topology;
    const pool = await kubectl.getJson<{ status?: { nodeIds?: number[] } }>(["get", "kafkanodepools.kafka.strimzi.io", poolName, "--namespace", namespace], {
      what: `read KafkaNodePool ${namespace}/${poolName}`,
      hint: "check the cluster is reachable",
    });
    const ids = expectNodeIds(
      pool.status?.nodeIds ?? [],
      topology.nodeIds,
      `KafkaNodePool ${namespace}/${poolName} (annotation strimzi.io/next-node-ids)`,
      "delete the cluster (`kind delete cluster --name chaoslab`) and run lab up again; if it persists, align cluster/manifests/kind/*.yaml.",
    );
    await kubectl.run(["wait", "--for=condition=Ready", "--timeout=240s", "--namespace", namespace, ...topology.topics.map((topic) => `kafkatopics.kafka.strimzi.io/${topic}`)], {
      what: `wait for KafkaTopics ${topology.topics.join(", ")}`,
      hint: `look at \`kubectl -n ${namespace} get kafkatopics -o yaml\` (status.conditions) and the entity operator's topic-operator log`,
      timeoutMs: TOPICS_READY_MS,
    });
    return ids;
  }

  brokerHandles(): StrimziBrokerHandles {
    const { kubectl, topology, clock } = this.context;
    return new StrimziBrokerHandles(kubectl, { namespace: topology.kafkaNamespace, kafkaName: topology.kafkaName }, clock);
  }

  brokersDescription(): LabDescription["kafka"]["brokers"] {
    return { kind: "strimzi", namespace: this.context.topology.kafkaNamespace, name: this.context.topology.kafkaName };
  }

  healthChecks() {
    const { kubectl, topology } = this.context;
    const { kafkaNamespace: namespace, kafkaName } = topology;
    return {
      "strimzi-operator": () => deploymentHealth(kubectl, namespace, STRIMZI_OPERATOR_DEPLOYMENT),
      kafka: async () => {
        const kafka = await kubectl.getJson<{ status?: { conditions?: Condition[] } }>(["get", "kafkas.kafka.strimzi.io", kafkaName, "--namespace", namespace], {
          what: `read Kafka ${namespace}/${kafkaName}`,
          hint: "check the cluster is reachable",
        });
        const ready = findCondition(kafka, "Ready");
        return { healthy: ready?.status === "True", detail: ready ? `Ready=${ready.status}${ready.message ? `: ${ready.message}` : ""}` : "no Ready condition" };
      },
    };
  }
}
