/**
 * The running lab on an existing cluster: broker handles for whoever keeps the brokers (Strimzi, a
 * StatefulSet, or nobody the lab may touch), Toxiproxy when CHAOSLAB_TOXIPROXY_API and
 * CHAOSLAB_KAFKA_PATHS say where it is, `status`, and a `down` that deletes nothing from the cluster.
 */
import fs from "node:fs/promises";
import {
  type BrokerPaths,
  type ComponentHealth,
  type KafkaBrokerHandles,
  type KafkaNetworkHandles,
  type LabDescription,
  type StartedLab,
  UnsupportedCapabilityError,
} from "../../provider.ts";
import { healthCollector } from "../../component-health.ts";
import { ARGO_ROLLOUTS_DEPLOYMENT, STRIMZI_OPERATOR_DEPLOYMENT } from "../../kind/config.ts";
import { type Kubectl, deploymentHealth, findCondition } from "../../kind/kubectl.ts";
import { StatefulSetBrokerHandles, StrimziBrokerHandles } from "../../kind/strimzi-brokers.ts";
import type { Clock } from "../../kind/wait.ts";
import type { Fetch } from "../../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../../network/toxiproxy-network.ts";
import { realClusterAccess } from "../../kube/real-cluster-services.ts";
import type { KafkaRef, KafkaResource } from "./kafka-source.ts";

export interface ExistingLab {
  kubectl: Kubectl;
  kafkaRef: KafkaRef;
  paths: { labJson: string };
  env: Readonly<Record<string, string | undefined>>;
  fetch: Fetch;
  clock: Clock;
  log: (line: string) => void;
}

export function existingStartedLab(lab: ExistingLab, description: LabDescription): StartedLab {
  const brokers = brokerHandles(lab.kubectl, description.kafka.brokers, lab.clock);
  const brokerPaths = parseKafkaPaths(lab.env.CHAOSLAB_KAFKA_PATHS);
  const network: KafkaNetworkHandles = description.toxiproxy
    ? new ToxiproxyNetworkHandles(
        description.toxiproxy.api,
        new Map(description.kafka.nodeIds.map((id) => [id, `kafka-broker-${id}`])),
        async () => brokerPaths ?? Promise.reject(new UnsupportedCapabilityError(NO_PATHS)),
        lab.fetch,
      )
    : unsupportedNetwork;
  const kubectl = lab.kubectl;
  const kafkaRef = lab.kafkaRef;
  const paths = lab.paths;
  const log = lab.log;
  return {
    description,
    brokers,
    network,
    ...realClusterAccess(description.kubeconfig),
    async status(): Promise<Record<string, ComponentHealth>> {
      const { health, guard } = healthCollector();
      if (description.kafka.brokers?.kind === "strimzi") {
        await guard("kafka", async () => {
          const kafka = await kubectl.getJson<KafkaResource>(["get", "kafkas.kafka.strimzi.io", kafkaRef.name, "--namespace", kafkaRef.namespace], {
            what: `read Kafka ${kafkaRef.namespace}/${kafkaRef.name}`,
            hint: "check the cluster is reachable",
          });
          const ready = findCondition(kafka, "Ready");
          return { healthy: ready?.status === "True", detail: ready ? `Ready=${ready.status}` : "no Ready condition" };
        });
      }
      await guard("kafka-brokers", async () => {
        const down = (await brokers.list()).filter((broker) => !broker.running).map((broker) => broker.nodeId);
        return { healthy: down.length === 0, detail: down.length === 0 ? "all running" : `not running: ${down.join(", ")}` };
      });
      const operators = [
        ...(description.kafka.brokers?.kind === "strimzi" ? [STRIMZI_OPERATOR_DEPLOYMENT] : []),
        ...(description.features.argoRollouts ? [ARGO_ROLLOUTS_DEPLOYMENT] : []),
      ];
      for (const deployment of operators) {
        await guard(deployment, async () => {
          const found = await kubectl.getJson<{ items: { metadata: { namespace: string } }[] }>(
            ["get", "deployments", "--all-namespaces", "--field-selector", `metadata.name=${deployment}`],
            { what: `look for deployment ${deployment}`, hint: "check the cluster is reachable" },
          );
          const namespace = found.items[0]?.metadata.namespace;
          return namespace ? deploymentHealth(kubectl, namespace, deployment) : { healthy: false, detail: "not found" };
        });
      }
      return health;
    },
    async down() {
      // Not our cluster: nothing in it is deleted (the lab's topics and ConfigMap stay for the next run).
      await fs.rm(paths.labJson, { force: true });
      log("existing: lab detached; nothing was deleted from the cluster");
    },
  };
}

const unsupportedNetwork: KafkaNetworkHandles = {
  addToxic: () => Promise.reject(networkUnsupported()),
  removeToxic: () => Promise.reject(networkUnsupported()),
  listToxics: () => Promise.resolve([]),
  brokerPaths: () => Promise.reject(networkUnsupported()),
};

const NO_PATHS =
  "network faults on CLUSTER=existing prove their effect by dialling each broker through its Toxiproxy proxy and directly from this machine, " +
  "and the cluster publishes no such addresses here. What to do: expose them and set CHAOSLAB_KAFKA_PATHS=<nodeId>=<proxy host:port>/<direct host:port>,...";

/** `1=10.0.0.5:30491/10.0.0.5:30091,2=...` → per broker paths; undefined when unset. */
function parseKafkaPaths(value: string | undefined): BrokerPaths[] | undefined {
  if (!value?.trim()) return undefined;
  return value.split(",").map((entry) => {
    const match = /^\s*(\d+)=([^/:]+):(\d+)\/([^/:]+):(\d+)\s*$/.exec(entry);
    if (!match) throw new Error(`CHAOSLAB_KAFKA_PATHS: "${entry}" is not <nodeId>=<proxy host:port>/<direct host:port>`);
    return { nodeId: Number(match[1]), workloads: { host: match[2]!, port: Number(match[3]) }, direct: { host: match[4]!, port: Number(match[5]) } };
  });
}

function networkUnsupported(): Error {
  return new UnsupportedCapabilityError(
    "network faults on CLUSTER=existing need Toxiproxy in front of the brokers. What to do: deploy cluster/manifests/kind/toxiproxy.yaml " +
      "(proxies kafka-broker-<nodeId>), make workloads dial it (an `apps` listener advertising the proxies, as in cluster/manifests/kind/kafka.yaml), " +
      "expose its API to this machine and set CHAOSLAB_TOXIPROXY_API=<url>; then run lab up again.",
  );
}

/** Broker handles for whoever keeps the brokers; where the lab cannot reach them, every call says why. */
function brokerHandles(kubectl: Kubectl, brokers: LabDescription["kafka"]["brokers"], clock: Clock): KafkaBrokerHandles {
  if (brokers?.kind === "strimzi") return new StrimziBrokerHandles(kubectl, { namespace: brokers.namespace, kafkaName: brokers.name }, clock);
  if (brokers?.kind === "statefulset") return new StatefulSetBrokerHandles(kubectl, brokers, clock);
  const reason = brokers?.kind === "unreachable" ? brokers.reason : "the lab description says nothing about who keeps the brokers: run `lab up` again";
  const refuse = () => Promise.reject(new UnsupportedCapabilityError(`broker faults on this cluster: ${reason}`));
  return { list: async () => [], kill: refuse, start: refuse };
}
