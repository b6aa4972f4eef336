/**
 * Broker fault handles on a Strimzi cluster (kind and existing): a broker is a pod of a StrimziPodSet.
 *
 * - kill(crash):    `kubectl delete pod --grace-period=0 --force` — the kubelet SIGKILLs the container.
 * - kill(graceful): `kubectl delete pod` with the pod's own grace period — SIGTERM, controlled shutdown.
 * - start:          Strimzi's StrimziPodSet controller recreates the pod by itself (same name, same PVC);
 *                   start() waits until a pod with a new UID runs.
 *
 * Unlike the sim, the downtime is not chosen by the fault: Strimzi recreates the pod at once, so "down for a
 * duration" on kind means "down for as long as Strimzi takes". `list()` shows what actually happened.
 *
 * Node ids and pod names come from the StrimziPodSets of the Kafka cluster (one per node pool): the pod
 * name is `<cluster>-<pool>-<nodeId>`.
 */
import type { BrokerInfo, KafkaBrokerHandles } from "../provider.ts";
import type { Kubectl } from "./kubectl.ts";
import { type Clock, pollUntil } from "./wait.ts";

interface PodSetList {
  items: { metadata: { name: string; labels?: Record<string, string> }; spec: { pods: { metadata: { name: string } }[] } }[];
}

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  status?: { phase?: string; containerStatuses?: { name: string; state?: { running?: object } }[] };
}

export interface StrimziBrokerTarget {
  namespace: string;
  /** Name of the Kafka custom resource. */
  kafkaName: string;
}

export interface BrokerPod {
  nodeId: number;
  podName: string;
  pod?: Pod;
}

const DELETE_TIMEOUT_MS = { crash: 60_000, graceful: 300_000 } as const;
const RECREATE_TIMEOUT_MS = 300_000;

/**
 * Brokers that are pods recreated by their controller: kill deletes the pod, start waits for its
 * successor. Subclasses say which controller owns them and which pod is which node id.
 */
export abstract class PodBrokerHandles implements KafkaBrokerHandles {
  readonly downtime = "until-recreated" as const;
  /** UID of the pod each kill() removed, so start() can tell the recreated pod from the old one. */
  private readonly killedUids = new Map<number, string>();

  constructor(
    protected readonly kubectl: Kubectl,
    protected readonly target: { namespace: string; kafkaName: string },
    private readonly clock: Clock,
  ) {}

  /** Who recreates a deleted broker pod, for messages ("Strimzi", "the StatefulSet of ..."). */
  protected abstract readonly owner: string;
  /** Where the node ids come from, for messages. */
  protected abstract readonly nodeIdSource: string;
  /** Label selector of the broker pods. */
  protected abstract podSelector(): string;
  /** node id → pod name. */
  protected abstract podNames(): Promise<Map<number, string>>;

  async list(): Promise<BrokerInfo[]> {
    return (await this.brokerPods()).map(({ nodeId, pod }) => ({ nodeId, running: pod !== undefined && isRunning(pod) }));
  }

  async kill(nodeId: number, mode: "crash" | "graceful"): Promise<void> {
    const broker = await this.brokerPod(nodeId);
    if (!broker.pod) {
      throw new Error(
        `kill broker ${nodeId}: pod ${this.target.namespace}/${broker.podName} does not exist (already down?). ` +
          `What to do: wait for Strimzi to recreate it (start(${nodeId})) before killing it again.`,
      );
    }
    this.killedUids.set(nodeId, broker.pod.metadata.uid);
    const args = ["delete", "pod", broker.podName, "--namespace", this.target.namespace, "--wait=true", `--timeout=${DELETE_TIMEOUT_MS[mode] / 1000}s`];
    if (mode === "crash") args.push("--grace-period=0", "--force");
    await this.kubectl.run(args, {
      what: `kill broker ${nodeId} (${mode}) by deleting pod ${this.target.namespace}/${broker.podName}`,
      hint:
        mode === "graceful"
          ? "a graceful broker shutdown can take up to the pod's terminationGracePeriodSeconds; check `kubectl describe pod` for stuck finalizers"
          : "check that the cluster is reachable and you may delete pods in the namespace",
      timeoutMs: DELETE_TIMEOUT_MS[mode] + 15_000,
    });
  }

  async start(nodeId: number): Promise<void> {
    const killedUid = this.killedUids.get(nodeId);
    const podName = await this.podNameOf(nodeId);
    await pollUntil({
      what: `broker ${nodeId} (pod ${this.target.namespace}/${podName}) to be recreated by ${this.owner}`,
      timeoutMs: RECREATE_TIMEOUT_MS,
      intervalMs: 1_000,
      progressEveryMs: 0,
      clock: this.clock,
      log: () => {},
      check: async () => {
        const pod = await this.getPod(podName);
        if (pod && pod.metadata.uid !== killedUid && isRunning(pod)) return { done: true, value: undefined };
        return { done: false, progress: pod ? `pod ${pod.metadata.uid} phase ${pod.status?.phase ?? "unknown"}` : "no pod yet" };
      },
      timeoutError: (last, waited) =>
        new Error(
          `start broker ${nodeId}: ${this.owner} did not bring pod ${this.target.namespace}/${podName} back within ${Math.round(waited / 1000)}s ` +
            `(last seen: ${last}). What to do: look at \`kubectl -n ${this.target.namespace} describe pod ${podName}\` and the ` +
            `cluster operator's log (\`kubectl -n ${this.target.namespace} logs deploy/strimzi-cluster-operator\`).`,
        ),
    });
    this.killedUids.delete(nodeId);
  }

  /** Every Kafka node of the cluster with its pod (if the pod exists right now). */
  async brokerPods(): Promise<BrokerPod[]> {
    const names = await this.podNames();
    const pods = await this.kubectl.getJson<{ items: Pod[] }>(
      ["get", "pods", "--namespace", this.target.namespace, "--selector", this.podSelector()],
      { what: `list the pods of Kafka ${this.target.namespace}/${this.target.kafkaName}`, hint: "check that the cluster is reachable" },
    );
    return [...names.entries()]
      .map(([nodeId, podName]) => ({ nodeId, podName, pod: pods.items.find((pod) => pod.metadata.name === podName) }))
      .sort((a, b) => a.nodeId - b.nodeId);
  }

  private async brokerPod(nodeId: number): Promise<BrokerPod> {
    const broker = (await this.brokerPods()).find((candidate) => candidate.nodeId === nodeId);
    if (!broker) throw await this.unknownNode(nodeId);
    return broker;
  }

  private async podNameOf(nodeId: number): Promise<string> {
    const podName = (await this.podNames()).get(nodeId);
    if (!podName) throw await this.unknownNode(nodeId);
    return podName;
  }

  private async unknownNode(nodeId: number): Promise<Error> {
    const known = [...(await this.podNames()).keys()].sort((a, b) => a - b);
    return new Error(
      `Kafka ${this.target.namespace}/${this.target.kafkaName} has no node ${nodeId}; its node ids are ${known.join(", ") || "none"} ` +
        `(from ${this.nodeIdSource}). What to do: pick one of those node ids.`,
    );
  }

  private async getPod(podName: string): Promise<Pod | undefined> {
    const result = await this.kubectl.try(["get", "pod", podName, "--namespace", this.target.namespace, "--ignore-not-found", "-o", "json"]);
    if (result.exitCode !== 0) {
      throw new Error(`get pod ${this.target.namespace}/${podName} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    }
    return result.stdout.trim() === "" ? undefined : (JSON.parse(result.stdout) as Pod);
  }
}

export class StrimziBrokerHandles extends PodBrokerHandles {
  protected readonly owner = "Strimzi";
  protected readonly nodeIdSource = "its StrimziPodSets";

  constructor(kubectl: Kubectl, target: StrimziBrokerTarget, clock: Clock) {
    super(kubectl, target, clock);
  }

  protected podSelector(): string {
    return `strimzi.io/cluster=${this.target.kafkaName}`;
  }

  /** node id → pod name, from the StrimziPodSets of the cluster's node pools. */
  protected async podNames(): Promise<Map<number, string>> {
    const podSets = await this.kubectl.getJson<PodSetList>(
      ["get", "strimzipodsets.core.strimzi.io", "--namespace", this.target.namespace, "--selector", `strimzi.io/cluster=${this.target.kafkaName},strimzi.io/kind=Kafka`],
      {
        what: `list the StrimziPodSets of Kafka ${this.target.namespace}/${this.target.kafkaName}`,
        hint: "check that Strimzi is installed and the Kafka cluster exists",
      },
    );
    const names = new Map<number, string>();
    for (const podSet of podSets.items) {
      for (const pod of podSet.spec.pods) {
        const match = /-(\d+)$/.exec(pod.metadata.name);
        if (match) names.set(Number(match[1]), pod.metadata.name);
      }
    }
    if (names.size === 0) {
      throw new Error(
        `Kafka ${this.target.namespace}/${this.target.kafkaName} has no StrimziPodSet pods (selector strimzi.io/cluster=${this.target.kafkaName},strimzi.io/kind=Kafka). ` +
          `What to do: check that the Kafka cluster is deployed and Ready (\`kubectl -n ${this.target.namespace} get kafka,strimzipodsets\`).`,
      );
    }
    return names;
  }


}

function isRunning(pod: Pod): boolean {
  const containers = pod.status?.containerStatuses ?? [];
  return (
    pod.metadata.deletionTimestamp === undefined &&
    pod.status?.phase === "Running" &&
    containers.length > 0 &&
    containers.every((container) => container.state?.running !== undefined)
  );
}

/**
 * Brokers of a plain StatefulSet (a Kafka without Strimzi: the air-gapped kind lab, many staging
 * clusters): node id = the pod's ordinal + `firstNodeId`; the StatefulSet controller recreates a deleted
 * pod under the same name.
 */
export class StatefulSetBrokerHandles extends PodBrokerHandles {
  protected readonly owner: string;
  protected readonly nodeIdSource = "the pods' ordinals";

  constructor(
    kubectl: Kubectl,
    private readonly set: { namespace: string; selector: string; firstNodeId: number },
    clock: Clock,
  ) {
    super(kubectl, { namespace: set.namespace, kafkaName: set.selector }, clock);
    this.owner = `the StatefulSet of the pods ${set.namespace}/${set.selector}`;
  }

  protected podSelector(): string {
    return this.set.selector;
  }

  protected async podNames(): Promise<Map<number, string>> {
    const pods = await this.kubectl.getJson<{ items: { metadata: { name: string } }[] }>(["get", "pods", "--namespace", this.set.namespace, "--selector", this.set.selector], {
      what: `list the broker pods ${this.set.namespace}/${this.set.selector}`,
      hint: "check CHAOSLAB_KAFKA_BROKERS (<namespace>/<label selector>[@<first node id>]) and that the pods exist",
    });
    const names = new Map<number, string>();
    for (const pod of pods.items) {
      const match = /-(\d+)$/.exec(pod.metadata.name);
      if (match) names.set(Number(match[1]) + this.set.firstNodeId, pod.metadata.name);
    }
    if (names.size === 0) {
      throw new Error(
        `no broker pods match ${this.set.namespace}/${this.set.selector} (StatefulSet pods end in -<ordinal>). ` +
          "What to do: point CHAOSLAB_KAFKA_BROKERS=<namespace>/<label selector> at the Kafka StatefulSet's pods.",
      );
    }
    return names;
  }
}
