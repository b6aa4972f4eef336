/**
 * The probe contract: one module per probe kind in this folder, registered in `registry.ts`. A probe
 * takes one sample of the world and says whether its condition holds, does not hold, or had no data.
 * Probes are read-only. Steady-state checks and timed expectations are built from them by the engine.
 */
import type { z } from "zod";
import type { Described, KindEntry } from "../core/kind-entry.ts";
import type { LabDescription, ServiceAccess } from "../../cluster/provider.ts";
import type { Clock } from "../core/clock.ts";
import type { Log, ReadPorts, SharedResources } from "../core/context.ts";
import type { Timeline } from "../core/timeline.ts";
import type { SampleOutcome } from "../../reports/results/timeline.ts";
import type { LedgerCounts } from "../../workloads/ledger/compute.ts";
import type { RunNames } from "../core/run-names.ts";

export interface ProbeContext extends ReadPorts {
  description: LabDescription;
  /** How this machine reaches the lab's Services, and which endpoints back them (the provider's answer). */
  services: ServiceAccess;
  timeline: Timeline;
  clock: Clock;
  signal: AbortSignal;
  shared: SharedResources;
  /** Scenario names → the names this run created; `created()` is the run's own tasks. */
  names: RunNames;
  log: Log;
  /**
   * Whether a timeline source is being recorded: `healer` (healer decisions), `k8s-events`,
   * `objects:<Kind>`. Probes that read the timeline return no-data when their source is not recorded.
   */
  observing(source: string): boolean;
  /** When this scenario's run started: data older than this belongs to someone else. */
  runStartedAt: number;
}

export interface ProbeSample {
  outcome: SampleOutcome;
  /** What was measured, for the timeline and the report (lag, partition counts, ledger counts, ...). */
  value?: unknown;
  /** Why it holds or not, in one line: `lag 1520 > max 1000`. */
  detail: string;
  /** When the observation is older than the sample (an event's own time). */
  at?: number;
}

export interface Probe extends Described {
  sample(ctx: ProbeContext): Promise<ProbeSample>;
}

export interface ProbeType<Params = unknown> extends KindEntry {
  /** A strict zod object without refinements: expectations extend it with the timing fields. */
  params: z.ZodObject;
  /** Cross-field rules (kept apart from `params` because refined objects cannot be extended). */
  check?(value: Params, ctx: z.RefinementCtx): void;
  create(params: Params): Probe;
  /** For probes that measure the Kafka ledger: its counts, for the summary. */
  ledger?(value: unknown): LedgerCounts | undefined;
}

export function defineProbe<Schema extends z.ZodObject>(definition: {
  kind: string;
  summary: string;
  params: Schema;
  check?(value: z.output<Schema>, ctx: z.RefinementCtx): void;
  create(params: z.output<Schema>): Probe;
  ledger?(value: unknown): LedgerCounts | undefined;
}): ProbeType<z.output<Schema>> {
  return definition as ProbeType<z.output<Schema>>;
}

/** The probe's schema with its cross-field rules applied: what steady-state entries validate against. */
export function probeParamsSchema(probe: ProbeType): z.ZodType {
  const check = probe.check;
  return check ? probe.params.superRefine((value, ctx) => check(value, ctx)) : probe.params;
}
