/**
 * The expectation contract: one module per expectation kind in this folder, registered in
 * `registry.ts`. Every probe kind is also usable as an expectation (see `probe-expectation.ts`); the
 * modules here add what a probe cannot say alone — causality (`healer.replaced`) and "nothing else
 * changed" (`stableFor`).
 *
 * The runner starts every expectation when the faults phase starts (so it can watch the fault window)
 * and waits for all of them to decide.
 */
import type { z } from "zod";
import type { Described, KindEntry } from "../core/kind-entry.ts";
import type { ProbeContext } from "../probes/probe.ts";
import type { DurationMs } from "../../workloads/queue-events/duration.ts";
import type { Recovery } from "../../reports/results/scenario-result.ts";
import type { LedgerCounts } from "../../workloads/ledger/compute.ts";

export interface FaultWindow {
  fault: string;
  type: string;
  injectedAt: number;
  revertedAt?: number;
}

export interface ExpectationContext extends ProbeContext {
  /** Resolves the reference moment `since` (`faults`, `setup`, or a fault's name) once it is known. */
  reference(since: string | undefined): Promise<number>;
  /** Resolves when every fault has been injected and reverted: the window `during` samples over. */
  faultWindow: Promise<{ start: number; end: number; faults: FaultWindow[] }>;
  /** Absolute time at which the scenario's timeout expires. */
  scenarioDeadline: number;
  /** Record a sample in the timeline under this expectation's name. */
  recordSample(sample: { at?: number; outcome: "ok" | "not-ok" | "no-data"; value?: unknown; detail?: string }): void;
}



export interface ExpectationOutcome {
  verdict: "passed" | "failed" | "inconclusive" | "broken";
  message: string;
  recovery?: Recovery;
  ledger?: LedgerCounts;
  evidence?: Record<string, unknown>;
}

export interface Expectation extends Described {
  evaluate(ctx: ExpectationContext): Promise<ExpectationOutcome>;
}

export interface ExpectationType<Params = unknown> extends KindEntry {
  params: z.ZodType<Params>;
  create(params: Params): Expectation;
}

export function defineExpectation<Schema extends z.ZodType>(definition: {
  kind: string;
  summary: string;
  params: Schema;
  create(params: z.output<Schema>): Expectation;
}): ExpectationType<z.output<Schema>> {
  return definition as unknown as ExpectationType<z.output<Schema>>;
}

/** Missing data decides as the scenario says: inconclusive by default, failed when it asks for that. */
export function noDataOutcome(onNoData: string, message: string): ExpectationOutcome {
  return { verdict: onNoData === "failed" ? "failed" : "inconclusive", message };
}

/**
 * How an expectation that reads a timeline source starts: the source must be recorded (else no data,
 * decided as the scenario says), then the reference moment `since` names must have come. Gives the
 * reference and the scenario's no-data rule, or the outcome that ends the evaluation now.
 */
export async function observedSince(
  ctx: ExpectationContext,
  spec: { since?: string; onNoData: string },
  source: string,
  notRecorded: string,
): Promise<{ reference: number; noData(message: string): ExpectationOutcome } | { outcome: ExpectationOutcome }> {
  const noData = (message: string): ExpectationOutcome => noDataOutcome(spec.onNoData, message);
  if (!ctx.observing(source)) return { outcome: noData(notRecorded) };
  const moment = await referenceMoment(ctx, spec.since);
  if ("outcome" in moment) return moment;
  return { reference: moment.at, noData };
}

/** The reference moment `since` names, or the inconclusive outcome that it never came (the fault never landed). */
export async function referenceMoment(ctx: ExpectationContext, since: string | undefined): Promise<{ at: number } | { outcome: ExpectationOutcome }> {
  try {
    return { at: await ctx.reference(since) };
  } catch (error) {
    return { outcome: { verdict: "inconclusive", message: `no reference moment: ${(error as Error).message}` } };
  }
}
