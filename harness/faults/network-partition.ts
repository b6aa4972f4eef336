/**
 * `network-partition`: cut the workloads' path to the chosen brokers, for a duration. The instruments'
 * path (direct listener) and the brokers themselves are untouched: workloads lose those brokers, the
 * cluster does not.
 *
 *   - type: network-partition
 *     target: {leaderOf: {topic: loader-data, partition: 0}}
 *     params: {direction: both}
 *     duration: 30s
 *
 * How: a Toxiproxy `timeout` toxic with timeout 0 on each targeted broker's proxy. Data stops flowing and
 * nobody closes the connection, which is what a partition looks like to a Kafka client: requests hang
 * until the client's own request timeout, nothing is refused. Disabling the proxy instead would close
 * every connection and refuse new ones at once — a fast, announced failure that clients treat as "broker
 * down", which kafka-broker-failure already covers. It is also a toxic, so it is journaled, reverted and
 * audited like the latency fault's. On removal Toxiproxy closes the connections the toxic held (its
 * Cleanup), so clients reconnect on a clean stream rather than read one with a hole in it.
 *
 * Evidence: a Kafka round trip (ApiVersions) over every cut path fails, while the controls still answer:
 * the same brokers' direct path (the broker is up) and each untargeted broker's workloads path
 * (Toxiproxy and the rest of the path are up). Only the cut paths failing is a partition of those
 * brokers; everything failing is an outage and is not claimed. Toxiproxy still accepts TCP connections on
 * a cut path (only data is dropped), so "connected" proves nothing: the proof is an answer, or none.
 * While the fault lasts, `watch` checks every second that the toxics are still there and every few
 * seconds that the cut paths still do not answer: a cut removed behind the harness's back makes the
 * fault inconclusive, never "effective".
 *
 * Scope on the sim: one Toxiproxy proxy per broker, so the cut hits every workload's traffic to that
 * broker (a lab-wide fault); cutting individual workloads off is not possible there and is not offered.
 */
import { z } from "zod";
import { NoEvidenceError, type FaultContext } from "./fault.ts";
import { addToxics, confirmWithin, defineToxicFault, roundTrip, targetPaths, toxicDirections, toxicFaultPlan, watchToxics, type RoundTrip, type ToxicPath } from "./toxics.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { ToxicRef } from "../../cluster/provider.ts";

/**
 * A round trip that has not answered by then counts as failed. A healthy one takes milliseconds on the
 * sim; 3 s is far above a scheduling stall on 2 shared cores, and it is what each check of a cut path
 * costs, so it is not larger.
 */
const ROUND_TRIP_TIMEOUT_MS = 3_000;
/** While the fault lasts: the cut paths' round trips every fifth check of the toxic list (every 5 s). */
const WATCH_ROUND_TRIP_EVERY = 5;

const params = z
  .object({
    direction: z
      .enum(["both", "upstream", "downstream"])
      .default("both")
      .meta({ description: "both = a full cut; upstream = requests (client → broker) are dropped; downstream = responses (broker → client) are dropped." }),
  })
  .strict()
  .prefault({});

/** One Kafka round trip per path, all at once. */
async function roundTrips(paths: ToxicPath[], ctx: FaultContext<unknown>): Promise<Map<string, RoundTrip>> {
  const results = await Promise.all(paths.map((path) => roundTrip(path.address, ctx, ROUND_TRIP_TIMEOUT_MS)));
  return new Map(paths.map((path, index) => [path.label, results[index]!]));
}

const show = (trip: RoundTrip | undefined) => (trip === undefined ? "?" : trip.answered ? `${trip.ms.toFixed(0)}ms` : trip.error);

export const networkPartitionFault = defineToxicFault({
  type: "network-partition",
  summary: "Cut the workloads' path to chosen Kafka brokers (data dropped, connections left hanging) for a duration.",
  params,
  create: (spec) => {
    // What inject cut, for watch: the toxics it added and the paths it proved cut.
    let injected: { refs: ToxicRef[]; cut: ToxicPath[] } | undefined;
    return {
      plan: (ctx) =>
        toxicFaultPlan(spec, ctx, [
          `cut ${spec.params.direction === "both" ? "both directions" : `${spec.params.direction} only`} for ${formatDuration(spec.durationMs ?? 0)}`,
          "the direct listener (healer, probes) and the brokers themselves are not affected",
        ]),
      async inject(ctx) {
        // Addresses this machine can dial, per broker and path, as the lab publishes them.
        const { selected, paths } = await targetPaths(spec, ctx);
        const table = (before: Map<string, RoundTrip>, during?: Map<string, RoundTrip>) =>
          Object.fromEntries(paths.map((path) => [path.label, { cut: path.targeted, before: show(before.get(path.label)), ...(during ? { during: show(during.get(path.label)) } : {}) }]));

        // Before touching anything: a path that already fails cannot show the cut (or the controls' health).
        const before = await roundTrips(paths, ctx);
        const failing = paths.filter((path) => !before.get(path.label)!.answered);
        if (failing.length > 0) {
          throw new NoEvidenceError(`path(s) ${failing.map((path) => `${path.label} (${show(before.get(path.label))})`).join(", ")} already fail before the cut, so a cut cannot be told apart`, { paths: table(before) });
        }

        const refs: ToxicRef[] = [];
        injected = { refs, cut: paths.filter((path) => path.targeted) };
        await addToxics(
          ctx,
          {
            fault: spec.name,
            nodeIds: selected,
            directions: toxicDirections(spec.params.direction),
            spec: (direction) => ({ kind: "timeout", timeoutMs: 0, direction }),
            note: (direction) => `partition, ${direction}`,
          },
          refs,
        );

        return confirmWithin(ctx, spec.confirmWithinMs, async () => {
          const during = await roundTrips(paths, ctx);
          const cutFailed = paths.filter((path) => path.targeted).every((path) => !during.get(path.label)!.answered);
          const controlsAnswer = paths.filter((path) => !path.targeted).every((path) => during.get(path.label)!.answered);
          const observations = { roundTripTimeoutMs: ROUND_TRIP_TIMEOUT_MS, paths: table(before, during), toxics: refs };
          if (cutFailed && controlsAnswer) {
            const list = (cut: boolean) => paths.filter((path) => path.targeted === cut).map((path) => `${path.label} ${show(during.get(path.label))}`).join(", ");
            return { summary: `round trips fail on the cut path(s) ${list(true)}; the controls still answer: ${list(false)}`, effectConfirmedAt: ctx.clock.now(), observations };
          }
          const why = !cutFailed ? "a cut path still answers" : "a control path fails too (an outage, not a partition of the targeted brokers)";
          return new NoEvidenceError(`${why}: ${JSON.stringify(observations.paths)}`, observations);
        });
      },
      async watch(ctx, untilMs) {
        if (!injected) return;
        const { refs, cut } = injected;
        // Round trips every few checks: each on a cut path waits out the timeout.
        await watchToxics(ctx, {
          refs,
          durationMs: spec.durationMs,
          untilMs,
          measureEvery: WATCH_ROUND_TRIP_EVERY,
          async measure() {
            const during = await roundTrips(cut, ctx);
            const answering = cut.filter((path) => during.get(path.label)!.answered);
            const value = Object.fromEntries(cut.map((path) => [path.label, show(during.get(path.label))]));
            ctx.timeline.record({ kind: "probe", probe: `${spec.name} cut paths`, outcome: answering.length === 0 ? "ok" : "not-ok", value, detail: Object.entries(value).map(([label, trip]) => `${label} ${trip}`).join(", ") });
            // One answer is enough: unlike a slow sample, an answer through a cut cannot be noise.
            if (answering.length > 0) throw new NoEvidenceError(`the cut path(s) ${answering.map((path) => path.label).join(", ")} answer again`, { paths: value });
          },
        });
      },
    };
  },
});
