/**
 * Every probe is also an expectation: its params plus the timing fields (`since`, `within`, `notBefore`,
 * `stableFor`, `during`, `onNoData`, `pollEvery`).
 *
 *   kafka.underReplicated: {max: 0, since: kill-broker, within: 2m, stableFor: 10s}
 *   http: {service: streamforge/queue-manager, path: /healthz, during: {minSuccessRatio: 0.95}}
 *
 * Without timing fields it is an assert that polls until it holds or the scenario ends (kuttl-style).
 */
import { checkTiming, pickTiming, pollTimedCondition, timingShape, type TimingSpec } from "../timing/timing.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { ProbeSample, ProbeType } from "../probes/probe.ts";
import type { ExpectationOutcome, ExpectationType } from "./expectation.ts";

export const TIMING_KEYS = Object.keys(timingShape) as (keyof typeof timingShape)[];

export function describeTiming(timing: TimingSpec): string {
  const parts: string[] = [];
  if (timing.during) parts.push(`during faults ≥ ${(timing.during.minSuccessRatio * 100).toFixed(0)}%`);
  if (timing.notBefore !== undefined) parts.push(`not before ${formatDuration(timing.notBefore)}`);
  if (timing.within !== undefined) parts.push(`within ${formatDuration(timing.within)}`);
  if (timing.stableFor !== undefined) parts.push(`stable for ${formatDuration(timing.stableFor)}`);
  if (parts.length > 0 && !timing.during) parts.push(`after ${timing.since ?? "faults"}`);
  return parts.join(", ");
}

export function probeExpectation(probe: ProbeType): ExpectationType<Record<string, unknown>> {
  const params = probe.params
    .extend(timingShape)
    .strict()
    .superRefine((value, ctx) => {
      probe.check?.(value, ctx);
      checkTiming(value as unknown as TimingSpec, ctx);
    });
  return {
    kind: probe.kind,
    summary: `${probe.summary} As an expectation: timed with since/within/notBefore/stableFor, or sampled during the faults.`,
    params: params as unknown as ExpectationType<Record<string, unknown>>["params"],
    create(value) {
      const timing = pickTiming(value as unknown as TimingSpec);
      const probeParams = Object.fromEntries(Object.entries(value).filter(([key]) => !(TIMING_KEYS as string[]).includes(key)));
      const instance = probe.create(probeParams);
      const timed = describeTiming(timing);
      const description = `${probe.kind}: ${instance.describe()}${timed ? ` (${timed})` : ""}`;
      return {
        describe: () => description,
        async evaluate(ctx): Promise<ExpectationOutcome> {
          let last: ProbeSample | undefined;
          const result = await pollTimedCondition(
            async () => {
              last = await instance.sample(ctx);
              return last;
            },
            timing,
            {
              clock: ctx.clock,
              signal: ctx.signal,
              reference: ctx.reference(timing.since),
              scenarioDeadline: ctx.scenarioDeadline,
              faultWindow: ctx.faultWindow,
              onSample: (sample) => ctx.recordSample(sample),
            },
          );
          const isRecovery = timing.within !== undefined || timing.stableFor !== undefined;
          const reference = isRecovery ? await ctx.reference(timing.since).catch(() => undefined) : undefined;
          return {
            verdict: result.verdict,
            message: result.message,
            recovery:
              reference !== undefined
                ? { reference, detectedAt: result.detectedAt, recoveredAt: result.recoveredAt, mttrMs: result.mttrMs }
                : undefined,
            ledger: probe.ledger?.(last?.value),
            evidence: { lastSample: last, successRatio: result.successRatio },
          };
        },
      };
    },
  };
}
