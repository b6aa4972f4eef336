/**
 * Kafka on kind without an operator (the air-gapped lab): a KRaft StatefulSet of the offline Kafka image,
 * rendered from the same Strimzi manifests (manifests/kafka-statefulset.ts), the lab's topics created
 * through the admin API on the host listener, brokers as StatefulSet pods.
 */
import type { LabDescription } from "../provider.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import { type KindKafka, type KindKafkaContext, type Log, expectNodeIds, rolloutStatus } from "./kind-kafka.ts";
import { StatefulSetBrokerHandles } from "./strimzi-brokers.ts";
import { type StatefulSetKafka as Rendered, renderStatefulSetKafka } from "../manifests/kafka-statefulset.ts";

const KAFKA_READY_MS = 10 * 60_000;
const TOPICS_MS = 3 * 60_000;

export type EnsureTopics = (bootstrap: string[], options: { expectBrokers: number; timeoutMs: number; where: string; log?: (line: string) => void }) => Promise<number[]>;

export class StatefulSetKafka implements KindKafka {
  readonly operator = "none: a KRaft StatefulSet of the offline Kafka image (Strimzi's operator is on no registry reachable air-gapped)";
  readonly operatorTitle = "Kafka operator: none (air-gapped: a KRaft StatefulSet)";
  readonly kafkaTitle: string;
  readonly crds: readonly string[] = [];
  private readonly rendered: Rendered;

  constructor(
    private readonly context: KindKafkaContext,
    image: string,
    private readonly ensureTopics: EnsureTopics = ensureLabTopics,
  ) {
    this.rendered = renderStatefulSetKafka(context.manifests, context.topology, image);
    const { kafkaNamespace, kafkaName } = context.topology;
    this.kafkaTitle = `Kafka ${kafkaNamespace}/${kafkaName} (StatefulSet ${this.rendered.statefulSet}, ${image}) and Toxiproxy manifests`;
  }

  async installOperator(log: Log): Promise<void> {
    log("  no operator: the brokers are a StatefulSet, the topics are created through Kafka's admin API");
  }

  async applyKafka(): Promise<void> {
    await this.context.kubectl.apply(this.rendered.objects, {
      what: "apply the Kafka StatefulSet (rendered from cluster/manifests/kind/kafka.yaml)",
      hint: "the rendering is cluster/manifests/kafka-statefulset.ts (its unit test checks the objects); check the cluster is reachable",
    });
  }

  async operatorRunning(): Promise<void> {}

  waitReady(log: Log): Promise<void> {
    return rolloutStatus(this.context.kubectl, `statefulset/${this.rendered.statefulSet}`, this.context.topology.kafkaNamespace, log, KAFKA_READY_MS);
  }

  async nodeIdsWithTopics(log: Log): Promise<number[]> {
    const { topology } = this.context;
    log(`  creating the lab's topics (${topology.topics.join(", ")}) through ${topology.hostBootstrap}`);
    const ids = await this.ensureTopics([topology.hostBootstrap], {
      expectBrokers: topology.nodeIds.length,
      timeoutMs: TOPICS_MS,
      log,
      where: `\`kubectl -n ${topology.kafkaNamespace} logs ${this.rendered.statefulSet}-${topology.nodeIds[0]}\` and \`docker port chaoslab-control-plane\``,
    });
    return expectNodeIds(ids, topology.nodeIds, `the Kafka at ${topology.hostBootstrap}`, "delete the cluster (`make lab-down`) and run lab up again");
  }

  brokerHandles(): StatefulSetBrokerHandles {
    const { kubectl, topology, clock } = this.context;
    return new StatefulSetBrokerHandles(kubectl, { namespace: topology.kafkaNamespace, selector: this.rendered.selector, firstNodeId: this.rendered.firstNodeId }, clock);
  }

  brokersDescription(): LabDescription["kafka"]["brokers"] {
    return { kind: "statefulset", namespace: this.context.topology.kafkaNamespace, selector: this.rendered.selector, firstNodeId: this.rendered.firstNodeId };
  }

  healthChecks() {
    const { kubectl, topology } = this.context;
    return {
      kafka: async () => {
        const set = await kubectl.getJson<{ spec?: { replicas?: number }; status?: { readyReplicas?: number } }>(
          ["get", "statefulset", this.rendered.statefulSet, "--namespace", topology.kafkaNamespace],
          { what: `read StatefulSet ${topology.kafkaNamespace}/${this.rendered.statefulSet}`, hint: "check the cluster is reachable" },
        );
        const ready = set.status?.readyReplicas ?? 0;
        const wanted = set.spec?.replicas ?? topology.nodeIds.length;
        return { healthy: ready === wanted, detail: `StatefulSet ${ready}/${wanted} ready` };
      },
    };
  }
}
