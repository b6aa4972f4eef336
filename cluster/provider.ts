/**
 * The cluster-provider contract. Every scenario, manifest, fault and probe is written once against
 * these types and runs on any provider (kind, sim, existing).
 *
 * Lifecycle states are types: a `ClusterProvider` can only `up()`/`attach()`; only a `StartedLab` has
 * a kubeconfig, fault handles and `down()`.
 */
import { z } from "zod";

export const PROVIDER_NAMES = ["kind", "sim", "existing"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Written by `lab up` to `<stateDir>/lab.json`; read by tests, the harness and `lab status`. */
export const labDescriptionSchema = z.object({
  provider: z.enum(PROVIDER_NAMES),
  stateDir: z.string(),
  kubeconfig: z.string(),
  apiServer: z.string(),
  kafka: z.object({
    /** Direct listener: for the healer and the harness's instruments, never behind a fault proxy. */
    bootstrapDirect: z.array(z.string()).min(1),
    /** What workloads dial: on the sim these are Toxiproxy proxies, one per broker. */
    bootstrapWorkloads: z.array(z.string()).min(1),
    nodeIds: z.array(z.number().int()),
    /**
     * Who keeps the brokers, so broker faults know what to delete and who brings it back: Strimzi (a
     * Kafka resource), a StatefulSet (pods by selector, node id = ordinal + firstNodeId), the sim's
     * processes, or nobody the lab can reach (broker faults are skipped).
     */
    brokers: z
      .discriminatedUnion("kind", [
        z.object({ kind: z.literal("strimzi"), namespace: z.string(), name: z.string() }),
        z.object({ kind: z.literal("statefulset"), namespace: z.string(), selector: z.string(), firstNodeId: z.number().int() }),
        z.object({ kind: z.literal("processes") }),
        z.object({ kind: z.literal("unreachable"), reason: z.string() }),
      ])
      .optional(),
  }),
  /** What this lab can carry; a scenario that needs what is false here is skipped with the reason. */
  features: z
    .object({
      argoRollouts: z.boolean().default(true),
    })
    .prefault({}),
  toxiproxy: z.object({ api: z.string() }).optional(),
  namespaces: z.array(z.string()),
  versions: z.record(z.string(), z.string()),
  startedAt: z.string(),
});
export type LabDescription = z.infer<typeof labDescriptionSchema>;
/** What a provider writes (defaults filled by the schema). */
export type LabDescriptionInput = z.input<typeof labDescriptionSchema>;

export interface BrokerInfo {
  nodeId: number;
  /** Whether the broker's process (sim) or pod (kind) is running. */
  running: boolean;
  pid?: number;
}

/** Broker-level fault handles: what `kafka-broker-failure` uses. */
export interface KafkaBrokerHandles {
  /**
   * How long a killed broker stays down: `held` until start() (the sim's processes; the default), or
   * `until-recreated` when its controller recreates it at once (Strimzi, a StatefulSet) — a fault that
   * must hold brokers down for a duration cannot run there.
   */
  readonly downtime?: "held" | "until-recreated";
  list(): Promise<BrokerInfo[]>;
  /** SIGKILL (crash) or SIGTERM (graceful) one broker; resolves once it is down. */
  kill(nodeId: number, mode: "crash" | "graceful"): Promise<void>;
  /** Starts a broker that was killed; resolves once its process is up (not necessarily caught up). */
  start(nodeId: number): Promise<void>;
}

/** Which way a toxic acts: downstream = broker → client responses, upstream = client → broker requests. */
export type ToxicDirection = "upstream" | "downstream";

/**
 * One network fault on the workloads' path to Kafka, typed per kind. The kinds are Toxiproxy's toxics,
 * because every provider carries network faults through Toxiproxy (sim: a host process; kind and
 * existing: a Deployment in front of the brokers), so a scenario means the same thing everywhere.
 */
export type ToxicSpec = (
  | { kind: "latency"; direction: ToxicDirection; latencyMs: number; jitterMs: number }
  /** Throughput cap. */
  | { kind: "bandwidth"; direction: ToxicDirection; rateKBps: number }
  /** Data stops flowing; the connection closes after timeoutMs (0: never, a black hole). */
  | { kind: "timeout"; direction: ToxicDirection; timeoutMs: number }
  /** Connections are reset (TCP RST) after timeoutMs. */
  | { kind: "reset-peer"; direction: ToxicDirection; timeoutMs: number }
  /** The connection closes after this many bytes. */
  | { kind: "limit-data"; direction: ToxicDirection; bytes: number }
  /** Data is sliced into small packets with a delay between them. */
  | { kind: "slicer"; direction: ToxicDirection; averageSizeBytes: number; sizeVariationBytes: number; delayUs: number }
) & {
  /**
   * Share of connections the toxic acts on, 0..1 (Toxiproxy's `toxicity`; absent: 1, every one). Toxiproxy
   * draws it once per connection and direction when the connection is made, never per packet.
   */
  toxicity?: number;
};

export interface ToxicRef {
  /** Broker whose workload path carries the toxic. */
  nodeId: number;
  name: string;
  /** The Kafka lane of that path; absent: the shared path (see KafkaNetworkHandles.lanes). */
  lane?: number;
}

export interface HostAddress {
  host: string;
  port: number;
}

/** `host:port` (the form Kafka bootstrap lists use) as a HostAddress; the last colon splits, so `[::1]:9092` is host `::1`. */
export function parseHostAddress(address: string): HostAddress {
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`"${address}" is not host:port`);
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port };
}

/**
 * Where this machine (the harness) reaches one broker by each path: through the fault proxy (what
 * workloads dial) and directly (what the instruments dial). A network fault's proof measures both.
 */
export interface BrokerPaths {
  nodeId: number;
  workloads: HostAddress;
  direct: HostAddress;
}

/** Network fault handles on the workloads' path to Kafka (the instruments' path is never touched). */
export interface KafkaNetworkHandles {
  /** All or nothing: when one broker's proxy refuses the toxic, the others' are removed again. */
  addToxic(nodeIds: number[], name: string, spec: ToxicSpec): Promise<ToxicRef[]>;
  /** Idempotent: a toxic that is already gone is not an error (journal replays). */
  removeToxic(ref: ToxicRef): Promise<void>;
  listToxics(): Promise<ToxicRef[]>;
  /** Per broker, addresses this machine can dial on each path (published ports, not in-cluster names). */
  brokerPaths(): Promise<BrokerPaths[]>;
  /**
   * Kafka lanes, where the provider has them (the sim): workloads' paths besides the shared one, each
   * behind its own proxies, numbered 1..n. A run that shares the lab takes one (`onLane`), its loaders
   * bootstrap on it, and its toxics go on that lane only. Absent: one shared path, so a toxic touches
   * every workload and its scenario runs alone.
   */
  readonly lanes?: readonly number[];
  /** The same handles bound to one lane: toxics added, listed and removed there, paths of that lane. */
  onLane?(lane: number): KafkaNetworkHandles;
  /** Set on handles bound to a lane. */
  readonly lane?: number;
}

/** A pod as process handles address it: by namespace and name, and only while its UID is this one. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** One process of a pod's container and its state as the kernel reports it (Linux /proc/<pid>/stat: R, S, D, T…). */
export interface PodProcessState {
  pid: number;
  state: string;
}

export interface PodProcesses {
  pod: PodRef;
  /** How the node names the container (sim: `process://<pid>`; kind: `containerd://<id>`). */
  containerID: string;
  processes: PodProcessState[];
  /**
   * The container is frozen, as the node itself reports it (sim: every process in state T; kind: the
   * containerd task PAUSED and the kernel's cgroup freezer frozen — frozen processes read D or S there, not T).
   */
  frozen: boolean;
  /** The runtime's and kernel's words behind `frozen` where process states are not (kind: `containerd task PAUSED, freezer.state FROZEN`). */
  freezer?: string;
  /** The command that lets the container run again by hand (sim: `kill -CONT -- -<pgid>`; kind: `docker exec <node> ctr … task resume <id>`). */
  thawByHand?: string;
}

/**
 * Freezing a pod's processes without killing them (what `process-freeze` uses): the sim sends
 * SIGSTOP/SIGCONT to the pod's process group; kind pauses the container through the node's containerd
 * (`ctr task pause`/`resume`, the cgroup freezer).
 */
export interface PodProcessHandles {
  /**
   * Stops every process of the pod's container; resolves with their state once the kernel reports them
   * stopped. Rejects with UnsupportedCapabilityError for a pod that has no process on this lab.
   */
  freeze(pod: PodRef): Promise<PodProcesses>;
  /** Lets them run again. Idempotent: `gone` when the pod (this UID) or its process no longer exists. */
  thaw(pod: PodRef): Promise<"thawed" | "gone">;
  /** The pod's processes now, or undefined when the pod (this UID) or its process is gone. */
  inspect(pod: PodRef): Promise<PodProcesses | undefined>;
  /** Every pod of the lab whose process is stopped, whoever stopped it. */
  listFrozen(): Promise<PodProcesses[]>;
}

export interface ServiceWaitOptions {
  /** How long the Service may take to become reachable (a Service created a moment ago). */
  timeoutMs?: number;
  /** Also wait until the Service has at least one ready endpoint. */
  ready?: boolean;
  signal?: AbortSignal;
}

/** An EndpointSlice as the judges read it (discovery.k8s.io/v1, the fields they use). */
export interface EndpointSliceView {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
  }[];
}

/** A manifest as `ServiceAccess.applyCopies` reads and places it (any object; only Services are changed). */
export interface PlaceableObject {
  kind: string;
  metadata: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: unknown };
}

/** How the harness, the tools it starts and the in-cluster controllers reach the lab's Services. */
export interface ServiceAccess {
  /** A base URL (no trailing slash) at which this machine reaches Service `<namespace>/<name>`. */
  hostUrl(namespace: string, name: string, options?: ServiceWaitOptions): Promise<string>;
  /**
   * The base URL the Argo Rollouts controller's analysis must use for the Service, or undefined when the
   * cluster DNS name in the manifests works (the controller runs in the cluster).
   */
  controllerUrl(namespace: string, name: string, options?: ServiceWaitOptions): Promise<string | undefined>;
  /** The endpoints that back the Service, as the cluster routes traffic to them. */
  endpointSlices(namespace: string, name: string): Promise<EndpointSliceView[]>;
  /**
   * Applies copies of manifests that stand beside their originals in another namespace (a run's own),
   * placed so this machine reaches each copied Service apart from the original: `apply` gets the
   * objects as they must be applied, and the turn ends when it resolves. Real clusters tell the copies
   * apart by namespace and pass them through; the sim's service proxy forwards one host port per
   * Service, so each copy that has one gets a free port (`seed`, the run suffix, spreads runs apart).
   */
  applyCopies<T extends PlaceableObject, R>(objects: readonly T[], seed: string, apply: (placed: T[]) => Promise<R>): Promise<R>;
}

/** Host tools the harness starts (the canary's load generator). */
export interface ToolAccess {
  /** Path of a k6 binary runnable on this machine; provisions it when missing, or says how. */
  k6(options?: { log?: (line: string) => void }): Promise<string>;
}

export interface ComponentHealth {
  healthy: boolean;
  pid?: number;
  detail: string;
}

/**
 * A running lab. The harness asks it every provider question — how to reach a Service, where the
 * latency proof dials, which endpoints back a Service, where k6 comes from, where state lives
 * (`description.stateDir`) — and never which provider it is. A capability a provider cannot offer
 * rejects with an UnsupportedCapabilityError naming why; faults turn that into `skipped`.
 */
export interface StartedLab {
  readonly description: LabDescription;
  readonly brokers: KafkaBrokerHandles;
  readonly network: KafkaNetworkHandles;
  readonly services: ServiceAccess;
  readonly tools: ToolAccess;
  /** Absent where the provider cannot stop a pod's processes (`process-freeze` is skipped there, saying why). */
  readonly processes?: PodProcessHandles;
  status(): Promise<Record<string, ComponentHealth>>;
  down(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * The lab as one run on a Kafka lane sees it: everything the same, except the network handles bound to
 * that lane. A view, not a copy (the lab's methods still run on the lab).
 */
export function labOnLane(lab: StartedLab, lane: number): StartedLab {
  const network = lab.network.onLane?.(lane);
  if (!network) throw new Error(`the ${lab.description.provider} lab has no Kafka lanes (asked for lane ${lane})`);
  return Object.create(lab, { network: { value: network, enumerable: true } }) as StartedLab;
}

export type LabMilestone = "apiServer" | "controlPlane";

export interface UpOptions {
  /** Progress lines for humans (stderr by default). */
  log?: (line: string) => void;
  /**
   * Seconds from the start of `up()` to a named moment, for benchmarks. `apiServer`: what
   * `kwokctl create cluster --wait` calls ready — every control-plane process running and the API server
   * ready; `controlPlane`: the controller-manager's and scheduler's own health checks pass too.
   */
  milestones?: (name: LabMilestone, seconds: number) => void;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  /**
   * Builds or checks what this provider and the suite need on this machine — and nothing another
   * provider needs (kind never asks for Go, Java or Maven); a missing tool is named with how to get it.
   * Idempotent; `make setup` and `make chaos` call it.
   */
  setup(options?: UpOptions): Promise<void>;
  /** Starts (or, if it is already up, attaches to) the lab. */
  up(options?: UpOptions): Promise<StartedLab>;
  /** Attaches to a lab that is already up, or returns undefined. */
  attach(): Promise<StartedLab | undefined>;
  /**
   * Removes what a failed or interrupted `up()` left behind when there is no lab to attach to (kind: a
   * cluster without lab.json). `lab down` calls it so a half-made lab is never stuck; absent = nothing to do.
   */
  removeLeftovers?(options?: { keepData?: boolean }): Promise<boolean>;
}

/** A capability this lab cannot offer (no Toxiproxy in front of the brokers, no broker pods to delete). */
export class UnsupportedCapabilityError extends Error {
  override name = "UnsupportedCapabilityError";
}
