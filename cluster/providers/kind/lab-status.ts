/**
 * `lab status` on kind: one health entry per component, asked of the cluster (API server readiness,
 * operators' and Toxiproxy's Deployments, Kafka's own checks) and of the lab's handles (Toxiproxy's
 * proxies, the broker pods). A check that throws is reported as unhealthy, never as a failed status.
 */
import type { ComponentHealth } from "../../provider.ts";
import { healthCollector } from "../../component-health.ts";
import { ARGO_ROLLOUTS_DEPLOYMENT, TOXIPROXY_DEPLOYMENT } from "../../kind/config.ts";
import type { KindKafka } from "../../kind/kind-kafka.ts";
import { type Kubectl, deploymentHealth } from "../../kind/kubectl.ts";
import type { PodBrokerHandles } from "../../kind/strimzi-brokers.ts";
import type { ToxiproxyNetworkHandles } from "../../network/toxiproxy-network.ts";

export interface KindStatusSources {
  kubectl: Kubectl;
  kafka: KindKafka;
  /** Where Kafka and Toxiproxy run. */
  kafkaNamespace: string;
  brokers: PodBrokerHandles;
  network: Pick<ToxiproxyNetworkHandles, "proxyNamesPresent">;
}

export async function kindLabStatus(sources: KindStatusSources): Promise<Record<string, ComponentHealth>> {
  const { kubectl, kafka, kafkaNamespace: namespace, brokers, network } = sources;
  const { health, guard } = healthCollector();
  await guard("kube-apiserver", async () => {
    const result = await kubectl.try(["get", "--raw", "/readyz"], { timeoutMs: 15_000 });
    return { healthy: result.exitCode === 0, detail: result.exitCode === 0 ? "ready" : result.stderr.trim() || "not ready" };
  });
  const kafkaChecks = Object.entries(kafka.healthChecks());
  for (const [name, check] of kafkaChecks.filter(([name]) => name !== "kafka")) await guard(name, check);
  for (const [name, ns, deployment] of [
    ["argo-rollouts", "argo-rollouts", ARGO_ROLLOUTS_DEPLOYMENT],
    ["toxiproxy", namespace, TOXIPROXY_DEPLOYMENT],
  ] as const) {
    await guard(name, () => deploymentHealth(kubectl, ns, deployment));
  }
  for (const [name, check] of kafkaChecks.filter(([name]) => name === "kafka")) await guard(name, check);
  await guard("toxiproxy-api", async () => {
    const present = await network.proxyNamesPresent();
    return { healthy: true, detail: `proxies: ${present.join(", ")}` };
  });
  await guard("kafka-brokers", async () => {
    const list = await brokers.list();
    const down = list.filter((broker) => !broker.running).map((broker) => broker.nodeId);
    return { healthy: down.length === 0, detail: down.length === 0 ? `${list.length} running` : `not running: ${down.join(", ")}` };
  });
  return health;
}
