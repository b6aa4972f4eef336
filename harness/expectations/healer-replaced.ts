/**
 * `healer.replaced`: the causal assertion for the healer — *it* replaced *this* Job, in time, for a
 * reason, and (with `exclusive`) touched no other Job.
 *
 *   healer.replaced: {job: loader-1, since: setup, within: 60s, notBefore: 20s, minSilence: 15s, exclusive: true}
 *
 * The decision time is the healer's own stamp on its queue-events record (same clock as the harness on
 * the sim). `minSilence` checks the evidence: the harness itself saw no event from that Job for at least
 * that long before the decision. `exclusive` waits out the whole `within` window before passing.
 */
import { z } from "zod";
import { defineExpectation, type ExpectationOutcome, observedSince } from "./expectation.ts";
import { duration } from "../core/duration-field.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { ON_NO_DATA, timingShape } from "../timing/timing.ts";
import { distinctHealerDecisions, healerEntryMatches, ofThisRun } from "../probes/healer-actions.ts";
import type { EntryOf } from "../../reports/results/timeline.ts";

/** A decision stamped just before the deadline may reach the harness a little later. */
const RECORDER_GRACE_MS = 2_000;
const POLL_MS = 250;

const params = z
  .object({
    job: z.string().min(1).meta({ description: "Job name or task id of the Job expected to be replaced." }),
    reason: z.string().min(1).optional().meta({ description: "Expected reason (STOP, STALL, FAULT, DISRUPTED, ...)." }),
    minSilence: duration({ description: "The harness saw no event from the Job for at least this long before the decision." }).optional(),
    exclusive: z.boolean().default(false).meta({ description: "No other Job was replaced in the window (needs within)." }),
    since: timingShape.since,
    within: timingShape.within,
    notBefore: timingShape.notBefore,
    onNoData: z.enum(ON_NO_DATA).default("inconclusive"),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.exclusive && value.within === undefined) ctx.addIssue({ code: "custom", path: ["exclusive"], message: "exclusive needs within: the window in which no other Job may be replaced" });
  });

export const healerReplacedExpectation = defineExpectation({
  kind: "healer.replaced",
  summary: "The healer replaced this Job within the window, for the expected reason, and (exclusive) no other.",
  params,
  create: (spec) => ({
    describe: () =>
      `healer replaced ${spec.job}${spec.reason ? ` (${spec.reason})` : ""}${spec.notBefore !== undefined ? ` not before ${formatDuration(spec.notBefore)}` : ""}${spec.within !== undefined ? ` within ${formatDuration(spec.within)}` : ""} after ${spec.since ?? "faults"}`,
    async evaluate(ctx): Promise<ExpectationOutcome> {
      const start = await observedSince(ctx, spec, "healer", "healer decisions are not being recorded (queue-events recorder not running)");
      if ("outcome" in start) return start.outcome;
      const { reference, noData } = start;
      const deadline = spec.within !== undefined ? reference + spec.within : ctx.scenarioDeadline;
      const rel = (at: number) => `+${formatDuration(Math.max(0, at - reference))}`;
      const job = ctx.names.resolve(spec.job);
      const decisions = (action: "replaced" | "detected", wanted?: string) =>
        distinctHealerDecisions(
          ctx.timeline.ofKind("healer").filter((entry) => entry.at >= reference && healerEntryMatches(entry, { action, job: wanted }) && ofThisRun(entry, ctx.names.created())),
        );

      let replaced: EntryOf<"healer"> | undefined;
      while (!replaced) {
        replaced = decisions("replaced", job)[0];
        if (replaced) break;
        if (ctx.clock.now() > deadline + RECORDER_GRACE_MS || ctx.signal.aborted) {
          const suppressed = ctx.timeline.ofKind("healer").filter((entry) => entry.at >= reference && entry.action === "suppressed");
          return {
            verdict: "failed",
            message: `no replacement of ${spec.job} by ${rel(deadline)}${ctx.signal.aborted ? " (the run ended first)" : ""}${suppressed.length ? `; the healer suppressed ${suppressed.length} remediation(s)` : ""}`,
          };
        }
        await ctx.clock.sleep(POLL_MS, ctx.signal).catch(() => undefined);
      }
      // The Kubernetes Event often arrives first; its twin on queue-events carries the millisecond stamp and
      // the observed silence. Give it a moment before judging on the Event alone.
      const twinDeadline = ctx.clock.now() + RECORDER_GRACE_MS;
      while (replaced.source === "k8s-event" && ctx.clock.now() < twinDeadline && !ctx.signal.aborted) {
        await ctx.clock.sleep(POLL_MS, ctx.signal).catch(() => undefined);
        replaced = decisions("replaced", job)[0] ?? replaced;
      }
      const detected = decisions("detected", job)[0];
      const evidence = { replaced, detected };
      const recovery = { reference, detectedAt: detected?.at, recoveredAt: replaced.at, mttrMs: replaced.at - reference, restoredBy: "healer" };
      const failed = (message: string): ExpectationOutcome => ({ verdict: "failed", message, evidence, recovery });

      if (spec.notBefore !== undefined && replaced.at < reference + spec.notBefore) {
        return failed(`replaced ${replaced.jobName} at ${rel(replaced.at)}, before notBefore ${formatDuration(spec.notBefore)}`);
      }
      if (replaced.at > deadline) return failed(`replaced ${replaced.jobName} at ${rel(replaced.at)}, after ${rel(deadline)}`);
      if (spec.reason !== undefined && replaced.reason !== spec.reason) {
        return failed(`replaced ${replaced.jobName} for reason ${replaced.reason ?? "(none)"}, expected ${spec.reason}`);
      }
      if (spec.minSilence !== undefined) {
        if (replaced.observedSilenceMs === undefined) {
          return { verdict: "inconclusive", message: `cannot verify minSilence: the harness saw no event from ${replaced.jobName} before the decision`, evidence, recovery };
        }
        if (replaced.observedSilenceMs < spec.minSilence) {
          return failed(`the healer acted after ${formatDuration(replaced.observedSilenceMs)} of silence, less than minSilence ${formatDuration(spec.minSilence)}`);
        }
      }
      if (spec.exclusive) {
        const windowEnd = Math.max(replaced.at, deadline);
        if (ctx.clock.now() < windowEnd + RECORDER_GRACE_MS) await ctx.clock.sleep(windowEnd + RECORDER_GRACE_MS - ctx.clock.now(), ctx.signal).catch(() => undefined);
        if (ctx.signal.aborted && ctx.clock.now() < windowEnd) return failed("the run ended before the exclusivity window closed");
        const others = decisions("replaced").filter((entry) => entry.at <= windowEnd && entry.taskId !== replaced.taskId);
        if (others.length > 0) return failed(`the healer also replaced ${others.map((entry) => `${entry.jobName} at ${rel(entry.at)}`).join(", ")}`);
      }
      const silence = replaced.observedSilenceMs !== undefined ? ` after ${formatDuration(replaced.observedSilenceMs)} of silence` : "";
      return {
        verdict: "passed",
        message: `replaced ${replaced.jobName} → ${replaced.replacementJobName ?? "?"} at ${rel(replaced.at)}${replaced.reason ? ` (${replaced.reason})` : ""}${silence}`,
        evidence,
        recovery,
      };
    },
  }),
});
