/**
 * The sim lab's supervised components, in start order (`down` stops in reverse, so nothing is left
 * talking to a stopped dependency), and the names the lab gives what it creates for them.
 */
import { KAFKA_NODE_IDS } from "../layout.ts";
import { kafkaNodeName } from "../kafka-nodes.ts";

export const SIM_COMPONENTS = [
  "etcd",
  "toxiproxy",
  ...KAFKA_NODE_IDS.map(kafkaNodeName),
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "argo-rollouts",
  "process-runtime",
  "service-proxy",
] as const;

/** Toxiproxy's proxy in front of a node's workloads listener on a lane (0: the shared one). */
export const kafkaProxyName = (nodeId: number, lane = 0) => (lane === 0 ? `kafka-${nodeId}-apps` : `kafka-${nodeId}-apps-lane-${lane}`);
