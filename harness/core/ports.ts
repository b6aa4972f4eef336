/**
 * What faults, probes and setup actions need from Kubernetes and Kafka, as small interfaces. The real
 * implementations (`kube-client.ts`, `kafka-client.ts`) wrap @kubernetes/client-node and kafkajs; unit
 * tests pass fakes. Reader interfaces are all a plan gets, so "plan touches nothing" holds by type.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  [field: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  phase: string;
  ready: boolean;
  /** deletionTimestamp is set: the pod is already going away and is not a useful target. */
  terminating: boolean;
  owner?: { kind: string; name: string; uid: string };
  podIP?: string;
  nodeName?: string;
}

export interface KubeReader {
  listPods(namespace: string, labelSelector?: string): Promise<PodInfo[]>;
  getPod(namespace: string, name: string): Promise<PodInfo | undefined>;
  namespaceLabels(namespace: string): Promise<Record<string, string> | undefined>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(query: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): Promise<KubeObject[]>;
}

export type DeleteResult = "deleted" | "gone";

export interface KubePort extends KubeReader {
  /** Deletes with a UID precondition in the body, so a pod that was already replaced is never hit. */
  deletePod(namespace: string, name: string, options: { uid: string; gracePeriodSeconds?: number }): Promise<DeleteResult>;
  create(object: KubeObject): Promise<KubeObject>;
  /** Server-side apply (field manager `chaoslab`). */
  apply(object: KubeObject): Promise<KubeObject>;
  /** Background propagation by default: the API default for Jobs orphans their pods. */
  delete(ref: ObjectRef, options?: { uid?: string; propagationPolicy?: "Background" | "Foreground" }): Promise<DeleteResult>;
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface GroupLag {
  group: string;
  /** Sum over partitions of (log end offset − committed offset); partitions without a commit count from the log start. */
  total: number;
  partitions: { topic: string; partition: number; lag: number }[];
}

export interface KafkaReader {
  /** Brokers as advertised on the listener this reader is connected to (direct or workloads' path). */
  brokers(): Promise<BrokerAddress[]>;
  partitions(topics?: string[]): Promise<PartitionState[]>;
  /** Undefined when the group has no committed offsets at all (no data, not zero lag). */
  groupLag(group: string, topics?: string[]): Promise<GroupLag | undefined>;
  /** Node id of the KRaft quorum leader (the active controller); absent where the reader cannot ask. */
  quorumLeader?(): Promise<number>;
}

/** Round-trip time of one Kafka request to an address, for the latency fault's evidence. */
export interface RttMeter {
  measure(address: { host: string; port: number }, samples: number, signal?: AbortSignal): Promise<number[]>;
}

/** A transfer of at least `minBytes` from one broker over one path, for the bandwidth fault's evidence. */
export interface TransferMeter {
  /** Resolves with the bytes that arrived and the time from the first request to the last byte. */
  transfer(address: { host: string; port: number }, brokerId: number, minBytes: number, signal?: AbortSignal): Promise<{ bytes: number; ms: number; responses: number }>;
}
