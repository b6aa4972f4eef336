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
  }),
  toxiproxy: z.object({ api: z.string() }).optional(),
  /** Base URL per Service "<namespace>/<name>" where the harness (and analysis) can reach it. */
  serviceUrls: z.record(z.string(), z.string()).default({}),
  namespaces: z.array(z.string()),
  versions: z.record(z.string(), z.string()),
  startedAt: z.string(),
});
export type LabDescription = z.infer<typeof labDescriptionSchema>;

export interface BrokerInfo {
  nodeId: number;
  /** Whether the broker's process (sim) or pod (kind) is running. */
  running: boolean;
  pid?: number;
}

/** Broker-level fault handles: what `kafka-broker-failure` uses. */
export interface KafkaBrokerHandles {
  list(): Promise<BrokerInfo[]>;
  /** SIGKILL (crash) or SIGTERM (graceful) one broker; resolves once it is down. */
  kill(nodeId: number, mode: "crash" | "graceful"): Promise<void>;
  /** Starts a broker that was killed; resolves once its process is up (not necessarily caught up). */
  start(nodeId: number): Promise<void>;
}

export interface LatencyToxicSpec {
  latencyMs: number;
  jitterMs: number;
  /** downstream = broker → client responses, upstream = client → broker requests. */
  direction: "upstream" | "downstream";
}

export interface ToxicRef {
  /** Broker whose workload path carries the toxic. */
  nodeId: number;
  name: string;
}

/** Network fault handles on the workloads' path to Kafka (the instruments' path is never touched). */
export interface KafkaNetworkHandles {
  addLatency(nodeIds: number[], name: string, spec: LatencyToxicSpec): Promise<ToxicRef[]>;
  removeToxic(ref: ToxicRef): Promise<void>;
  listToxics(): Promise<ToxicRef[]>;
}

export interface ComponentHealth {
  healthy: boolean;
  pid?: number;
  detail: string;
}

export interface StartedLab {
  readonly description: LabDescription;
  readonly brokers: KafkaBrokerHandles;
  readonly network: KafkaNetworkHandles;
  status(): Promise<Record<string, ComponentHealth>>;
  down(options?: { keepData?: boolean }): Promise<void>;
}

export interface UpOptions {
  /** Progress lines for humans (stderr by default). */
  log?: (line: string) => void;
}

export interface ClusterProvider {
  readonly name: ProviderName;
  /** Starts (or, if it is already up, attaches to) the lab. */
  up(options?: UpOptions): Promise<StartedLab>;
  /** Attaches to a lab that is already up, or returns undefined. */
  attach(): Promise<StartedLab | undefined>;
}
