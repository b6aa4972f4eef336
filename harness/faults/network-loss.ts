/**
 * `network-loss`: a share of the connections on the workloads' path to the chosen brokers lose all their
 * data, for a duration. This is PER-CONNECTION loss, not per-packet loss: Toxiproxy cannot drop single
 * packets (that needs tc netem, which the lab does not have). What it can do, and what this fault does, is
 * decide once per new connection whether it is lost: a lost connection stays open and carries nothing in
 * the chosen direction (like a partition of that one connection); the others are untouched. Kafka clients
 * keep few long-lived connections, so expect "some clients hang until their request timeout, reconnect,
 * and may land on a good connection", not "every request is slower".
 *
 *   - type: network-loss
 *     target: {leaderOf: {topic: loader-data, partition: 0}}
 *     params: {probability: 0.5}
 *     duration: 30s
 *
 * How: a Toxiproxy `timeout` toxic with timeout 0 and `toxicity` = probability on each targeted broker's
 * proxy; Toxiproxy draws the toxicity when a connection is made. One direction only: with both, each
 * direction would draw on its own and the share lost would not be the probability asked.
 *
 * Evidence: `samples` round trips (ApiVersions), each on a fresh connection, on every targeted path: for
 * 0 < p < 1 at least one is lost and at least one answers, and the lost count lies within four standard
 * deviations of samples × p; for p = 1 every one is lost. The sample count makes "none lost" or "all lost"
 * by chance rarer than 1 in 1000 (so p is kept between 0.1 and 0.9, or 1). The controls answer every one:
 * the same brokers' direct paths and every other broker's workloads path. While the fault lasts, `watch`
 * checks every second that the toxics are still there and every few seconds that connections are still lost.
 */
import { z } from "zod";
import { NoEvidenceError, type FaultContext } from "./fault.ts";
import { addToxics, confirmWithin, defineToxicFault, roundTrip, targetPaths, toxicFaultPlan, watchToxics, type ToxicPath } from "./toxics.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { ToxicRef } from "../../cluster/provider.ts";

/** As for network-partition: a healthy round trip takes milliseconds on the sim, a lost one waits this out. */
const ROUND_TRIP_TIMEOUT_MS = 3_000;
/** The chance that a sample shows no loss (or no answer) although the toxic is there. */
const CHANCE_OF_A_FALSE_MISS = 0.001;
const MIN_SAMPLES = 20;
/** While the fault lasts: a batch of round trips every fifth check of the toxic list (every 5 s). */
const WATCH_SAMPLE_EVERY = 5;

const params = z
  .object({
    probability: z
      .number()
      .refine((p) => (p >= 0.1 && p <= 0.9) || p === 1, { message: "must be between 0.1 and 0.9, or 1: outside that the harness cannot tell the loss from none or all in 70 connections" })
      .meta({
        description:
          "Share of NEW connections that lose all their data (per-connection loss, not per-packet: Toxiproxy decides once per connection). 0.1..0.9, or 1 for every connection.",
      }),
    direction: z.enum(["downstream", "upstream"]).default("downstream").meta({ description: "downstream = a lost connection's responses are dropped; upstream = its requests are." }),
  })
  .strict();

/** Enough fresh connections that a sample without a loss (or without an answer) is rarer than CHANCE_OF_A_FALSE_MISS. */
export function samplesFor(probability: number): number {
  if (probability >= 1) return MIN_SAMPLES;
  const rarer = Math.min(probability, 1 - probability);
  return Math.max(MIN_SAMPLES, Math.ceil(Math.log(CHANCE_OF_A_FALSE_MISS) / Math.log(1 - rarer)));
}

/** Is `lost` of `samples` what a per-connection probability would give (see the module comment)? */
export function consistentWithProbability(lost: number, samples: number, probability: number): boolean {
  if (probability >= 1) return lost === samples;
  const spread = 4 * Math.sqrt(samples * probability * (1 - probability));
  return lost >= 1 && lost < samples && Math.abs(lost - samples * probability) <= spread;
}

interface Sample {
  lost: number;
  samples: number;
  /** The first failure's message, to tell a lost connection from a refused one. */
  error?: string;
}

const show = (sample: Sample | undefined) => (sample === undefined ? "?" : `${sample.lost}/${sample.samples} lost`);

/** `count` round trips per path, each on a fresh connection, all of one path at once; paths one after another. */
async function sample(paths: ToxicPath[], count: number, ctx: FaultContext<unknown>): Promise<Map<string, Sample>> {
  const result = new Map<string, Sample>();
  for (const path of paths) {
    const trips = await Promise.all(Array.from({ length: count }, () => roundTrip(path.address, ctx, ROUND_TRIP_TIMEOUT_MS)));
    const failed = trips.filter((trip) => !trip.answered);
    result.set(path.label, { lost: failed.length, samples: count, ...(failed[0] && !failed[0].answered ? { error: failed[0].error } : {}) });
  }
  return result;
}

export const networkLossFault = defineToxicFault({
  type: "network-loss",
  summary: "A share of new connections on the workloads' path to chosen Kafka brokers lose all their data (per-connection, not per-packet loss) for a duration.",
  params,
  create: (spec) => {
    const { probability, direction } = spec.params;
    const samples = samplesFor(probability);
    const percent = `${(probability * 100).toFixed(0)}%`;
    // What inject added and measured, for watch.
    let injected: { refs: ToxicRef[]; targeted: ToxicPath[] } | undefined;
    return {
      plan: (ctx) =>
        toxicFaultPlan(spec, ctx, [
          `${percent} of new connections lose their ${direction} data (per connection, not per packet) for ${formatDuration(spec.durationMs ?? 0)}`,
          "the direct listener (healer, probes) is not affected",
        ]),
      async inject(ctx) {
        const { selected, paths } = await targetPaths(spec, ctx);
        const targeted = paths.filter((path) => path.targeted);
        const table = (before: Map<string, Sample>, during?: Map<string, Sample>) =>
          Object.fromEntries(paths.map((path) => [path.label, { targeted: path.targeted, before: show(before.get(path.label)), ...(during ? { during: show(during.get(path.label)) } : {}) }]));

        // Before touching anything: a path that already loses round trips cannot show the loss.
        const before = await sample(paths, 1, ctx);
        const failing = paths.filter((path) => before.get(path.label)!.lost > 0);
        if (failing.length > 0) {
          throw new NoEvidenceError(`path(s) ${failing.map((path) => `${path.label} (${before.get(path.label)!.error})`).join(", ")} already fail before the loss, so it cannot be told apart`, { paths: table(before) });
        }

        const refs: ToxicRef[] = [];
        injected = { refs, targeted };
        await addToxics(
          ctx,
          { fault: spec.name, nodeIds: selected, directions: [direction], spec: (stream) => ({ kind: "timeout", timeoutMs: 0, toxicity: probability, direction: stream }), note: () => `loss of ${percent} of connections` },
          refs,
        );

        return confirmWithin(ctx, spec.confirmWithinMs, async () => {
          const during = await sample(paths, samples, ctx);
          const targetedLossy = targeted.every((path) => consistentWithProbability(during.get(path.label)!.lost, samples, probability));
          const controlsAnswer = paths.filter((path) => !path.targeted).every((path) => during.get(path.label)!.lost === 0);
          const observations = { probability, samplesPerPath: samples, roundTripTimeoutMs: ROUND_TRIP_TIMEOUT_MS, paths: table(before, during), toxics: refs };
          if (targetedLossy && controlsAnswer) {
            const lossOf = (path: ToxicPath) => `${path.label} ${show(during.get(path.label))} (${((during.get(path.label)!.lost / samples) * 100).toFixed(0)}%)`;
            const answers = (path: ToxicPath) => `${path.label} ${samples - during.get(path.label)!.lost}/${samples}`;
            return {
              summary: `fresh connections lost on ${targeted.map(lossOf).join(", ")} (configured ${percent} per connection); the controls answered: ${paths.filter((path) => !path.targeted).map(answers).join(", ")}`,
              effectConfirmedAt: ctx.clock.now(),
              observations,
            };
          }
          const why = !targetedLossy ? `a targeted path's lost share is not what ${percent} per connection gives` : "a control path loses round trips too (not confined to the targeted brokers)";
          return new NoEvidenceError(`${why}: ${JSON.stringify(observations.paths)}`, observations);
        });
      },
      async watch(ctx, untilMs) {
        if (!injected) return;
        const { refs, targeted } = injected;
        let misses = 0;
        // A batch every few checks: lost connections wait out the timeout.
        await watchToxics(ctx, {
          refs,
          durationMs: spec.durationMs,
          untilMs,
          measureEvery: WATCH_SAMPLE_EVERY,
          async measure() {
            const during = await sample(targeted, samples, ctx);
            const value = Object.fromEntries(targeted.map((path) => [path.label, show(during.get(path.label))]));
            const lossy = targeted.every((path) => consistentWithProbability(during.get(path.label)!.lost, samples, probability));
            ctx.timeline.record({ kind: "probe", probe: `${spec.name} lost connections`, outcome: lossy ? "ok" : "not-ok", value: { probability, paths: value }, detail: Object.entries(value).map(([label, lost]) => `${label} ${lost}`).join(", ") });
            misses = lossy ? 0 : misses + 1;
            // Two misses in a row: one can be chance (or a stall), two are a loss that is gone.
            if (misses >= 2) throw new NoEvidenceError(`the targeted paths no longer lose ${percent} of connections (${JSON.stringify(value)})`, { paths: value });
          },
        });
      },
    };
  },
});
