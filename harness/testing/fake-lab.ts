/**
 * Fakes of the lab for unit tests: a StartedLab whose brokers and toxics are in memory, a Kubernetes
 * with pods and objects in memory, Kafka metadata that follows the fake brokers, and an RTT meter that
 * adds the fake toxics' latency. Fakes for units only — lab tests use the real thing.
 */
import type { BrokerInfo, BrokerPaths, EndpointSliceView, LabDescription, PodProcesses, PodRef, ServiceAccess, StartedLab, ToolAccess, ToxicRef, ToxicSpec } from "../../cluster/provider.ts";
import type { BrokerAddress, DeleteResult, GroupLag, KafkaReader, KubeObject, KubePort, ObjectRef, PartitionState, PodInfo, RttMeter, TransferMeter } from "../core/ports.ts";
import type { RunPorts } from "../core/context.ts";
import { CHAOS_OPT_IN_LABEL } from "../core/safety.ts";

export const fakeDescription: LabDescription = {
  provider: "sim",
  stateDir: "/tmp/fake-lab",
  kubeconfig: "/tmp/fake-lab/kubeconfig",
  apiServer: "https://127.0.0.1:32443",
  kafka: { bootstrapDirect: ["127.0.0.1:31091", "127.0.0.1:31092", "127.0.0.1:31093"], bootstrapWorkloads: ["127.0.0.1:31291"], nodeIds: [1, 2, 3] },
  toxiproxy: { api: "http://127.0.0.1:32474" },
  namespaces: ["streamforge", "kafka"],
  features: { argoRollouts: true },
  versions: { kubernetes: "v1.34.4", kafka: "4.3.1" },
  startedAt: "2025-01-01T00:00:00.000Z",
};

export class FakeLab implements StartedLab {
  readonly description = fakeDescription;
  readonly stopped = new Set<number>();
  readonly toxics: (ToxicRef & { spec: ToxicSpec })[] = [];
  /** Host URLs per `<namespace>/<name>` (what `services.hostUrl` answers) and EndpointSlices per Service. */
  readonly serviceUrls = new Map<string, string>();
  readonly endpointSlices = new Map<string, EndpointSliceView[]>();
  /** What `services.controllerUrl` answers (undefined: the controller uses the manifests' DNS names). */
  controllerUrls = new Map<string, string>();
  k6Binary = "/fake/k6";
  readonly calls: string[] = [];
  failStart = false;

  readonly brokers = {
    list: async (): Promise<BrokerInfo[]> => this.description.kafka.nodeIds.map((nodeId) => ({ nodeId, running: !this.stopped.has(nodeId) })),
    kill: async (nodeId: number, mode: "crash" | "graceful") => {
      this.calls.push(`kill ${nodeId} ${mode}`);
      this.stopped.add(nodeId);
    },
    start: async (nodeId: number) => {
      this.calls.push(`start ${nodeId}`);
      if (this.failStart) throw new Error(`broker ${nodeId} did not start`);
      this.stopped.delete(nodeId);
    },
  };

  readonly network = {
    addToxic: async (nodeIds: number[], name: string, spec: ToxicSpec): Promise<ToxicRef[]> => {
      this.calls.push(`addToxic ${spec.kind} ${nodeIds.join(",")} ${name}`);
      for (const nodeId of nodeIds) this.toxics.push({ nodeId, name, spec });
      return nodeIds.map((nodeId) => ({ nodeId, name }));
    },
    removeToxic: async (ref: ToxicRef) => {
      this.calls.push(`removeToxic ${ref.nodeId} ${ref.name}`);
      const index = this.toxics.findIndex((toxic) => toxic.nodeId === ref.nodeId && toxic.name === ref.name);
      if (index >= 0) this.toxics.splice(index, 1);
    },
    listToxics: async (): Promise<ToxicRef[]> => this.toxics.map(({ nodeId, name }) => ({ nodeId, name })),
    /** Workloads' path on 312xx, direct on 310xx: what FakeRtt and FakeKafka answer on. */
    brokerPaths: async (): Promise<BrokerPaths[]> =>
      this.description.kafka.nodeIds.map((nodeId) => ({ nodeId, workloads: { host: "127.0.0.1", port: 31290 + nodeId }, direct: { host: "127.0.0.1", port: 31090 + nodeId } })),
  };

  readonly services: ServiceAccess = {
    hostUrl: async (namespace, name) => {
      const url = this.serviceUrls.get(`${namespace}/${name}`);
      if (!url) throw new Error(`the fake lab has no URL for Service ${namespace}/${name}`);
      return url;
    },
    controllerUrl: async (namespace, name) => this.controllerUrls.get(`${namespace}/${name}`),
    endpointSlices: async (namespace, name) => this.endpointSlices.get(`${namespace}/${name}`) ?? [],
    applyCopies: async (objects, seed, apply) => {
      this.calls.push(`applyCopies ${objects.length} seed=${seed}`);
      return apply([...objects]);
    },
  };

  readonly tools: ToolAccess = { k6: async () => this.k6Binary };

  /** Pods (by UID) whose fake process is stopped, and pods whose process is gone (deleted, exited). */
  readonly frozen = new Map<string, PodRef>();
  readonly goneProcesses = new Set<string>();
  readonly processes = {
    freeze: async (pod: PodRef): Promise<PodProcesses> => {
      this.calls.push(`freeze ${pod.namespace}/${pod.name}`);
      if (this.goneProcesses.has(pod.uid)) throw new Error(`pod ${pod.namespace}/${pod.name} is gone`);
      this.frozen.set(pod.uid, pod);
      return (await this.processes.inspect(pod))!;
    },
    thaw: async (pod: PodRef): Promise<"thawed" | "gone"> => {
      this.calls.push(`thaw ${pod.namespace}/${pod.name}`);
      this.frozen.delete(pod.uid);
      return this.goneProcesses.has(pod.uid) ? "gone" : "thawed";
    },
    inspect: async (pod: PodRef): Promise<PodProcesses | undefined> => {
      if (this.goneProcesses.has(pod.uid)) return undefined;
      const frozen = this.frozen.has(pod.uid);
      return { pod, containerID: `process://${pod.uid.length + 100}`, processes: [{ pid: pod.uid.length + 100, state: frozen ? "T" : "S" }], frozen };
    },
    listFrozen: async (): Promise<PodProcesses[]> => Promise.all([...this.frozen.values()].map(async (pod) => (await this.processes.inspect(pod))!)),
  };

  async status() {
    return {};
  }
  async down(): Promise<void> {}
}

let uidCounter = 0;
export const nextUid = () => `uid-${++uidCounter}`;

export function fakePod(name: string, fields: Partial<PodInfo> = {}): PodInfo {
  return {
    namespace: "streamforge",
    name,
    uid: nextUid(),
    labels: { app: "loader", [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value },
    phase: "Running",
    ready: true,
    terminating: false,
    ...fields,
  };
}

export class FakeKube implements KubePort {
  pods: PodInfo[] = [];
  objects: KubeObject[] = [];
  namespaces: Record<string, Record<string, string>> = { streamforge: {} };
  readonly calls: string[] = [];
  /** What happens to a deleted pod: by default it is simply gone. */
  onPodDeleted: (pod: PodInfo) => void = () => undefined;

  async listPods(namespace: string, labelSelector?: string): Promise<PodInfo[]> {
    return this.pods.filter((pod) => pod.namespace === namespace && matchesSelector(pod.labels, labelSelector));
  }
  async getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    return this.pods.find((pod) => pod.namespace === namespace && pod.name === name);
  }
  async namespaceLabels(namespace: string) {
    return this.namespaces[namespace];
  }
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.objects.find((object) => object.kind === ref.kind && object.metadata.name === ref.name && (ref.namespace === undefined || object.metadata.namespace === ref.namespace));
  }
  async list(query: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): Promise<KubeObject[]> {
    return this.objects.filter(
      (object) => object.kind === query.kind && (query.namespace === undefined || object.metadata.namespace === query.namespace) && matchesSelector(object.metadata.labels ?? {}, query.labelSelector),
    );
  }
  async deletePod(namespace: string, name: string, options: { uid: string; gracePeriodSeconds?: number }): Promise<DeleteResult> {
    this.calls.push(`deletePod ${namespace}/${name} uid=${options.uid} grace=${options.gracePeriodSeconds ?? "default"}`);
    const pod = this.pods.find((candidate) => candidate.namespace === namespace && candidate.name === name);
    if (!pod || pod.uid !== options.uid) return "gone";
    this.pods = this.pods.filter((candidate) => candidate !== pod);
    this.onPodDeleted(pod);
    return "deleted";
  }
  async create(object: KubeObject): Promise<KubeObject> {
    this.calls.push(`create ${object.kind} ${object.metadata.namespace}/${object.metadata.name}`);
    const created = { ...object, metadata: { ...object.metadata, uid: nextUid() } };
    this.objects.push(created);
    return created;
  }
  async apply(object: KubeObject): Promise<KubeObject> {
    this.objects = this.objects.filter((existing) => !(existing.kind === object.kind && existing.metadata.name === object.metadata.name));
    return this.create(object);
  }
  async delete(ref: ObjectRef): Promise<DeleteResult> {
    this.calls.push(`delete ${ref.kind} ${ref.namespace}/${ref.name}`);
    const before = this.objects.length;
    this.objects = this.objects.filter((object) => !(object.kind === ref.kind && object.metadata.name === ref.name && object.metadata.namespace === ref.namespace));
    return this.objects.length < before ? "deleted" : "gone";
  }
}

export function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return labels[key!.trim()] === value?.trim();
  });
}

/** Kafka metadata that follows the fake lab: partitions led by a down broker move to the next ISR member. */
export class FakeKafka implements KafkaReader {
  partitionsState: PartitionState[] = [
    { topic: "loader-data", partition: 0, leader: 2, replicas: [2, 3, 1], isr: [2, 3, 1] },
    { topic: "loader-data", partition: 1, leader: 3, replicas: [3, 1, 2], isr: [3, 1, 2] },
    { topic: "queue-events", partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] },
  ];
  lag: GroupLag | undefined = { group: "g", total: 0, partitions: [] };

  constructor(
    private readonly lab: FakeLab,
    private readonly portBase = 31090,
  ) {}

  async brokers(): Promise<BrokerAddress[]> {
    return this.lab.description.kafka.nodeIds.filter((id) => !this.lab.stopped.has(id)).map((nodeId) => ({ nodeId, host: "127.0.0.1", port: this.portBase + nodeId }));
  }
  async partitions(topics?: string[]): Promise<PartitionState[]> {
    return this.partitionsState
      .filter((p) => !topics || topics.includes(p.topic))
      .map((p) => {
        const isr = p.isr.filter((id) => !this.lab.stopped.has(id));
        const leader = this.lab.stopped.has(p.leader) ? (isr[0] ?? -1) : p.leader;
        return { ...p, leader, isr };
      });
  }
  async groupLag(): Promise<GroupLag | undefined> {
    return this.lag;
  }
}

/**
 * Round trips: 2 ms baseline, plus the fake toxics' latency on the workloads' proxies (ports 312xx); a
 * `timeout` toxic there means no answer (at once, as the real meter's own timeout would say, minus the wait).
 */
export class FakeRtt implements RttMeter {
  constructor(private readonly lab: FakeLab) {}
  async measure(address: { host: string; port: number }, samples: number): Promise<number[]> {
    const nodeId = address.port - 31290;
    const toxics = address.port >= 31290 ? this.lab.toxics.filter((toxic) => toxic.nodeId === nodeId) : [];
    if (toxics.some(({ spec }) => spec.kind === "timeout")) throw new Error(`no Kafka response from ${address.host}:${address.port} (a timeout toxic drops the data)`);
    const added = toxics.reduce((sum, { spec }) => sum + (spec.kind === "latency" ? spec.latencyMs : 0), 0);
    return Array.from({ length: samples }, () => 2 + added);
  }
}

/**
 * Transfers: 17 KB responses at 100 KB per ms (5 ms a MB), or at the cap of a `bandwidth` toxic on the
 * workloads' proxy (Toxiproxy's KB/s are 1000 bytes); a `timeout` toxic there means no answer.
 */
export class FakeTransfer implements TransferMeter {
  static readonly RESPONSE_BYTES = 17_131;
  constructor(private readonly lab: FakeLab) {}
  async transfer(address: { host: string; port: number }, _brokerId: number, minBytes: number) {
    const nodeId = address.port - 31290;
    const toxics = address.port >= 31290 ? this.lab.toxics.filter((toxic) => toxic.nodeId === nodeId) : [];
    if (toxics.some(({ spec }) => spec.kind === "timeout")) throw new Error(`no Kafka response from ${address.host}:${address.port} (a timeout toxic drops the data)`);
    const responses = Math.max(1, Math.ceil(minBytes / FakeTransfer.RESPONSE_BYTES));
    const bytes = responses * FakeTransfer.RESPONSE_BYTES;
    const caps = toxics.flatMap(({ spec }) => (spec.kind === "bandwidth" && spec.direction === "downstream" ? [spec.rateKBps] : []));
    return { bytes, ms: caps.length > 0 ? bytes / Math.min(...caps) : 2 + bytes / 100_000, responses };
  }
}

export function fakePorts(lab: FakeLab, kube = new FakeKube()): RunPorts & { kube: FakeKube; kafka: FakeKafka } {
  return { kube, kafka: new FakeKafka(lab, 31090), kafkaWorkloads: new FakeKafka(lab, 31290), rtt: new FakeRtt(lab), transfer: new FakeTransfer(lab) };
}
