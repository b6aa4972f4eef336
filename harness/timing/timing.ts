/**
 * Typed timing assertions, shared by every expectation that waits for something:
 *
 * - `within: T`    the condition must start holding no later than reference + T ("recovered in time");
 * - `notBefore: T` it must not hold before reference + T ("the healer must not act before its threshold");
 * - `stableFor: T` once holding, it must keep holding for T; the recovery moment is the start of that run;
 * - `during: {minSuccessRatio}` instead: sampled over the fault window, at least this share must hold.
 *
 * The reference (`since`) is the start of the faults phase by default, or `setup`, or a named fault's
 * injection. Without `within`, the scenario's own deadline bounds the wait. A run that ends before the
 * condition held (and stayed held) is `failed`, never passed; a window with no data at all is
 * `onNoData` (inconclusive by default).
 *
 * `judgeEventually` / `judgeDuring` are pure (tested on synthetic samples); `pollTimedCondition` drives
 * them live with a clock.
 */
import { z } from "zod";
import { duration } from "../core/duration-field.ts";
import { formatDuration, type DurationMs } from "../../workloads/queue-events/duration.ts";
import type { Clock } from "../core/clock.ts";
import type { SampleOutcome } from "../../reports/results/timeline.ts";
import type { TimingVerdict } from "../../reports/results/scenario-result.ts";

export const ON_NO_DATA = ["inconclusive", "failed"] as const;

/** Fields any timed expectation accepts, spread into its params object. */
export const timingShape = {
  since: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Reference moment for within/notBefore: `faults` (default: start of the faults phase), `setup`, or the name of a fault (its injection)." }),
  within: duration({ description: "The condition must hold no later than this after `since`." }).optional(),
  notBefore: duration({ description: "The condition must not hold earlier than this after `since`." }).optional(),
  stableFor: duration({ description: "Once holding, the condition must keep holding this long." }).optional(),
  during: z
    .object({ minSuccessRatio: z.number().min(0).max(1).meta({ description: "Share of samples in the fault window that must hold." }) })
    .strict()
    .optional()
    .meta({ description: "Sample continuously over the fault window instead of waiting for recovery." }),
  onNoData: z.enum(ON_NO_DATA).default("inconclusive").meta({ description: "Verdict when no sample had data. No data is never a pass." }),
  pollEvery: duration({ min: 50, description: "Sampling interval. Default 1s." }).optional(),
};

export const DEFAULT_POLL_MS = 1_000;

export interface TimingSpec {
  since?: string;
  within?: DurationMs;
  notBefore?: DurationMs;
  stableFor?: DurationMs;
  during?: { minSuccessRatio: number };
  onNoData: (typeof ON_NO_DATA)[number];
  pollEvery?: DurationMs;
}

/** `during` describes a different measurement; mixing it with recovery timing would be ambiguous. */
export function checkTiming(value: TimingSpec, ctx: z.RefinementCtx): void {
  if (value.during) {
    for (const field of ["within", "notBefore", "stableFor"] as const) {
      if (value[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} cannot be combined with during` });
    }
  }
  if (value.within !== undefined && value.notBefore !== undefined && value.notBefore > value.within) {
    ctx.addIssue({ code: "custom", path: ["notBefore"], message: `notBefore (${formatDuration(value.notBefore)}) is later than within (${formatDuration(value.within)}): nothing could pass` });
  }
}

export function pickTiming(params: TimingSpec): TimingSpec {
  const { since, within, notBefore, stableFor, during, onNoData, pollEvery } = params;
  return { since, within, notBefore, stableFor, during, onNoData, pollEvery };
}

export interface TimedSample {
  at: number;
  outcome: SampleOutcome;
  detail?: string;
  value?: unknown;
}


export interface TimingResult {
  verdict: TimingVerdict;
  message: string;
  /** First sample at/after the reference that did not hold: degradation observed. */
  detectedAt?: number;
  /** Start of the run of holding samples that satisfied the assertion. */
  recoveredAt?: number;
  /** recoveredAt − reference. */
  mttrMs?: number;
  successRatio?: number;
}

export type Judgement = { state: "pending" } | { state: "decided"; result: TimingResult };

const rel = (at: number, reference: number) => `+${formatDuration(Math.max(0, at - reference))}`;

/**
 * Judges an eventual condition. `deadline` bounds the start of recovery (reference + within, or the
 * scenario deadline). `final` means no further samples will come (the run is ending).
 */
export function judgeEventually(
  samples: readonly TimedSample[],
  spec: TimingSpec,
  window: { reference: number; deadline: number; now: number; final: boolean },
): Judgement {
  const { reference, deadline, now, final } = window;
  const relevant = samples.filter((sample) => sample.at >= reference).sort((a, b) => a.at - b.at);
  const stableFor = spec.stableFor ?? 0;
  const earliest = reference + (spec.notBefore ?? 0);
  const detectedAt = relevant.find((sample) => sample.outcome !== "ok" && sample.outcome !== "no-data")?.at;
  const decided = (result: Omit<TimingResult, "detectedAt">): Judgement => ({ state: "decided", result: { ...result, detectedAt } });
  const lastDetail = [...relevant].reverse().find((sample) => sample.outcome !== "ok")?.detail;

  let runStart: number | undefined;
  for (let i = 0; i < relevant.length; i++) {
    const sample = relevant[i]!;
    if (sample.outcome !== "ok") {
      runStart = undefined;
      continue;
    }
    if (runStart === undefined) {
      runStart = sample.at;
      if (runStart < earliest) {
        return decided({
          verdict: "failed",
          message: `held at ${rel(runStart, reference)}, before notBefore ${formatDuration(spec.notBefore ?? 0)}${sample.detail ? ` (${sample.detail})` : ""}`,
        });
      }
      if (runStart > deadline) {
        return decided({
          verdict: "failed",
          message: `held only at ${rel(runStart, reference)}, after the deadline ${rel(deadline, reference)}${spec.within !== undefined ? ` (within ${formatDuration(spec.within)})` : ""}`,
        });
      }
    }
    if (sample.at - runStart >= stableFor) {
      return decided({
        verdict: "passed",
        message: `held from ${rel(runStart, reference)}${stableFor > 0 ? ` and stayed for ${formatDuration(stableFor)}` : ""}`,
        recoveredAt: runStart,
        mttrMs: runStart - reference,
      });
    }
  }

  const dataSeen = relevant.some((sample) => sample.outcome !== "no-data");
  const noData = (): Judgement =>
    decided({
      verdict: spec.onNoData === "failed" ? "failed" : "inconclusive",
      message: `no data: every sample since ${rel(reference, reference)} was empty${lastDetail ? ` (${lastDetail})` : ""}`,
    });
  // A run still open (holding, not yet stable long enough) may finish after the deadline; keep waiting.
  const openRunMayFinish = runStart !== undefined && !final;
  if (now > deadline && !openRunMayFinish) {
    if (!dataSeen) return noData();
    const open = runStart !== undefined ? `; it held from ${rel(runStart, reference)} but not for ${formatDuration(stableFor)}` : "";
    return decided({
      verdict: "failed",
      message: `did not hold by ${rel(deadline, reference)}${open}${lastDetail ? `; last: ${lastDetail}` : ""}`,
    });
  }
  if (final) {
    if (!dataSeen) return noData();
    return decided({
      verdict: "failed",
      message: `the run ended at ${rel(now, reference)} before the condition held${runStart !== undefined ? ` for ${formatDuration(stableFor)}` : ""}${lastDetail ? `; last: ${lastDetail}` : ""}`,
    });
  }
  return { state: "pending" };
}

/** Judges a condition sampled across a window (the faults' window): the share of holding samples. */
export function judgeDuring(samples: readonly TimedSample[], spec: TimingSpec, window: { start: number; end: number }): TimingResult {
  const inWindow = samples.filter((sample) => sample.at >= window.start && sample.at <= window.end);
  const withData = inWindow.filter((sample) => sample.outcome !== "no-data");
  const minRatio = spec.during?.minSuccessRatio ?? 1;
  if (withData.length === 0) {
    return {
      verdict: spec.onNoData === "failed" ? "failed" : "inconclusive",
      message: `no data in the ${formatDuration(window.end - window.start)} window (${inWindow.length} empty samples)`,
    };
  }
  const ok = withData.filter((sample) => sample.outcome === "ok").length;
  const ratio = ok / withData.length;
  const firstBad = withData.find((sample) => sample.outcome !== "ok");
  return {
    verdict: ratio + 1e-9 >= minRatio ? "passed" : "failed",
    message: `${ok}/${withData.length} samples held (${(ratio * 100).toFixed(1)}%, need ${(minRatio * 100).toFixed(1)}%)${firstBad?.detail ? `; e.g. ${firstBad.detail}` : ""}`,
    successRatio: ratio,
    detectedAt: firstBad?.at,
  };
}

export interface PollOptions {
  clock: Clock;
  signal: AbortSignal;
  /** Resolves to the reference time once known (a named fault may not be injected yet). */
  reference: Promise<number>;
  /** The scenario's own deadline: bounds waits without `within`. */
  scenarioDeadline: number;
  /** For `during`: resolves with the window once the faults are over. */
  faultWindow: Promise<{ start: number; end: number }>;
  /** Every sample, for the timeline. */
  onSample?: (sample: TimedSample) => void;
}

/**
 * Samples `sample()` every `pollEvery` and judges as it goes, returning as soon as the verdict is known.
 * If the run is aborted, judges what it has with `final: true` (failed or no-data, never passed).
 */
export async function pollTimedCondition(
  sample: () => Promise<Omit<TimedSample, "at"> & { at?: number }>,
  spec: TimingSpec,
  options: PollOptions,
): Promise<TimingResult> {
  const { clock, signal } = options;
  const samples: TimedSample[] = [];
  const pollMs = spec.pollEvery ?? DEFAULT_POLL_MS;
  const take = async () => {
    const at = clock.now();
    let taken: TimedSample;
    try {
      const result = await sample();
      taken = { ...result, at: result.at ?? at };
    } catch (error) {
      taken = { at, outcome: "no-data", detail: `probe error: ${(error as Error).message}` };
    }
    samples.push(taken);
    options.onSample?.(taken);
  };

  let reference: number;
  try {
    reference = await raceAbort(options.reference, signal);
  } catch (error) {
    return { verdict: "inconclusive", message: `no reference moment: ${(error as Error).message}` };
  }

  if (spec.during) {
    let windowEnd: { start: number; end: number } | undefined;
    void options.faultWindow.then((window) => (windowEnd = window), () => undefined);
    while (!windowEnd && !signal.aborted) {
      await take();
      await clock.sleep(pollMs, signal).catch(() => undefined);
    }
    if (!windowEnd) return { ...judgeDuring(samples, spec, { start: reference, end: clock.now() }), verdict: "failed", message: "the run was interrupted before the fault window closed" };
    return judgeDuring(samples, spec, windowEnd);
  }

  const deadline = spec.within !== undefined ? reference + spec.within : options.scenarioDeadline;
  // Wait for the reference: samples before it are not evidence of anything.
  if (clock.now() < reference) await clock.sleep(reference - clock.now(), signal).catch(() => undefined);
  for (;;) {
    if (signal.aborted) {
      const judgement = judgeEventually(samples, spec, { reference, deadline, now: clock.now(), final: true });
      if (judgement.state === "decided") return judgement.result;
    }
    await take();
    const judgement = judgeEventually(samples, spec, { reference, deadline, now: clock.now(), final: false });
    if (judgement.state === "decided") return judgement.result;
    await clock.sleep(pollMs, signal).catch(() => undefined);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error("the run was interrupted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("the run was interrupted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
