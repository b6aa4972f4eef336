/**
 * What the engine hands to faults, probes, expectations and setup actions. Plan-time contexts carry only
 * readers; run-time contexts add the mutating ports, the journal and the timeline.
 */
import type { BrokerPaths, LabDescription, StartedLab } from "../../cluster/provider.ts";
import type { KafkaReader, KubePort, KubeReader, RttMeter, TransferMeter } from "./ports.ts";
import type { Clock } from "./clock.ts";
import type { Rng } from "./rng.ts";
import type { RunNames } from "./run-names.ts";
import type { SafetyPolicy } from "./safety.ts";
import type { Timeline } from "./timeline.ts";

export interface Log {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLog: Log = { info: () => undefined, warn: () => undefined };

export interface ReadPorts {
  kube: KubeReader;
  /** Kafka through the direct listener: the instruments' path, never behind a fault proxy. */
  kafka: KafkaReader;
  /** Kafka as the workloads reach it (through fault proxies on the sim): for addresses and evidence. */
  kafkaWorkloads: KafkaReader;
}

export interface PlanContext extends ReadPorts {
  scenario: string;
  description: LabDescription;
  /** Per broker, the addresses this machine dials on the workloads' and the direct path (the lab's answer). */
  brokerPaths(): Promise<BrokerPaths[]>;
  safety: SafetyPolicy;
  seed: number;
  /** The run, when there is one (not in `chaoslab plan`): targets with `thisRun` are narrowed to its objects. */
  runId?: string;
  /** A seeded Rng for one labelled decision (`rng("iteration", "1")`); the label scopes it to the caller. */
  rng(...labels: string[]): Rng;
  log: Log;
}

/** Long-lived helpers shared by probes of one run (a ledger consumer); closed when the scenario ends. */
export interface SharedResources {
  get<T extends { close(): Promise<void> }>(key: string, create: () => Promise<T> | T): Promise<T>;
}

export interface RunPorts extends ReadPorts {
  kube: KubePort;
  rtt: RttMeter;
  transfer: TransferMeter;
}

export interface RunContextBase extends RunPorts {
  runId: string;
  scenario: string;
  /** Directory of the scenario file: relative paths in it (manifests) resolve against this. */
  scenarioDir: string;
  /** Where this run's own files go (k6 logs and summaries): chosen by the caller, never by an element. */
  artifactsDir: string;
  description: LabDescription;
  lab: StartedLab;
  clock: Clock;
  timeline: Timeline;
  signal: AbortSignal;
  shared: SharedResources;
  /** Scenario names → the names this run created (`loader-1` → `loader-1-3fa2`). */
  names: RunNames;
  log: Log;
}

/** Handed to `revert`: enough to undo a journaled action from a fresh process (`chaoslab cleanup`). */
export interface RevertContext {
  lab: StartedLab;
  kube: KubePort;
  /** Kafka on the direct listener; reverts that need it connect their own when absent (`chaoslab cleanup`). */
  kafka?: KafkaReader;
  clock: Clock;
  log: Log;
  signal?: AbortSignal;
}


export interface AuditContext {
  lab: StartedLab;
  kube: KubeReader;
  runId?: string;
  namespaces: string[];
}
