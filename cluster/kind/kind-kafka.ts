/**
 * How the kind lab runs Kafka: one interface, two modules.
 * - strimzi-kafka.ts: Strimzi's operator and its custom resources (the default with internet access);
 * - statefulset-kafka.ts: a KRaft StatefulSet of the offline Kafka image (the air-gapped lab; Strimzi's
 *   operator is on no registry reachable there).
 * Both serve the same contract to the rest of the lab: pods `<cluster>-<pool>-<nodeId>`, listeners
 * `direct` / `apps` (through Toxiproxy) / `host` (NodePorts on 127.0.0.1), the lab's topics, and a
 * broker fault that deletes a pod its controller recreates.
 */
import type { LabDescription } from "../provider.ts";
import type { KindLabManifests, KindLabTopology } from "../manifests/kind-manifests.ts";
import type { Kubectl } from "./kubectl.ts";
import type { PodBrokerHandles } from "./strimzi-brokers.ts";
import type { Clock } from "./wait.ts";

export type Log = (line: string) => void;

export interface KindKafkaContext {
  kubectl: Kubectl;
  manifests: KindLabManifests;
  topology: KindLabTopology;
  clock: Clock;
  kubeconfig: string;
}

export interface KindKafka {
  /** Who runs Kafka, for the lab's versions and the report's environment. */
  readonly operator: string;
  /** Stage titles of `lab up`. */
  readonly operatorTitle: string;
  readonly kafkaTitle: string;
  /** CRDs to wait for (besides Argo Rollouts'). */
  readonly crds: readonly string[];
  installOperator(log: Log): Promise<void>;
  /** Applies the Kafka cluster (and, with an operator, its topics). */
  applyKafka(): Promise<void>;
  operatorRunning(log: Log): Promise<void>;
  waitReady(log: Log): Promise<void>;
  /** The node ids the cluster has (checked against the manifests'), once the lab's topics exist. */
  nodeIdsWithTopics(log: Log): Promise<number[]>;
  brokerHandles(): PodBrokerHandles;
  brokersDescription(): LabDescription["kafka"]["brokers"];
  /** Extra status checks: name → check. */
  healthChecks(): Record<string, () => Promise<{ healthy: boolean; detail: string }>>;
}

const OPERATOR_ROLLOUT_MS = 10 * 60_000;

/** `kubectl rollout status` of a Deployment or StatefulSet, with what to look at when it does not finish. */
export async function rolloutStatus(kubectl: Kubectl, workload: string, namespace: string, log: Log, timeoutMs = OPERATOR_ROLLOUT_MS): Promise<void> {
  const [kind, name] = workload.split("/");
  log(`  waiting for ${kind} ${namespace}/${name}`);
  await kubectl.run(["rollout", "status", workload, "--namespace", namespace, `--timeout=${timeoutMs / 1000}s`], {
    what: `wait for ${workload} in ${namespace} to become available`,
    hint: `look at \`kubectl -n ${namespace} describe ${workload}\` and its pods' events (image pull errors need internet access to the image registry; offline, the image must be loaded into kind)`,
    timeoutMs: timeoutMs + 30_000,
  });
}

export function expectNodeIds(actual: number[], expected: number[], source: string, fix: string): number[] {
  const sortedActual = [...actual].sort((a, b) => a - b);
  const sortedExpected = [...expected].sort((a, b) => a - b);
  if (sortedActual.join(",") !== sortedExpected.join(",")) {
    throw new Error(
      `${source} has node ids [${sortedActual.join(", ")}], the lab's manifests expect [${sortedExpected.join(", ")}] ` +
        "(the host listener's per-broker node ports and the Toxiproxy proxies key on them).\n" +
        `What to do: ${fix}`,
    );
  }
  return sortedActual;
}
