/**
 * `network-bandwidth`: cap the throughput of the workloads' path from the chosen brokers, for a duration.
 * The instruments' path (direct listener) is never touched.
 *
 *   - type: network-bandwidth
 *     target: {leaderOf: {topic: loader-data, partition: 0}}
 *     params: {rate: 50}        # KB/s, 1 KB = 1000 bytes as Toxiproxy counts
 *     duration: 30s
 *
 * How: a Toxiproxy `bandwidth` toxic on each targeted broker's proxy, downstream (broker → client: fetch
 * and metadata responses, the big side of Kafka's traffic). Upstream is not offered: Kafka requests the
 * harness can send without writing data are a few dozen bytes, so a cap on them cannot be timed, and a
 * claim without a measurement is not made.
 *
 * Evidence: a transfer of a known number of bytes (DescribeConfigs responses, lab/kafka-transfer-meter.ts),
 * sized to take TRANSFER_MS at the cap, over each targeted path takes at least EVIDENCE_SHARE of
 * bytes ÷ rate, while the controls move the same bytes in under CONTROL_SHARE of it: the same broker's
 * direct path (the broker answers fast) and every other broker's workloads path (Toxiproxy is not slow
 * itself). Before the toxic the targeted paths must be fast too, or the cap could not be told apart. The
 * measured throughput is reported next to the cap. While the fault lasts, `watch` checks every second that
 * the toxics are still there and every few seconds that a transfer is still capped: a cap removed behind
 * the harness's back makes the fault inconclusive, never "effective".
 *
 * Scope on the sim: one Toxiproxy proxy per broker, so the cap is on every workload's traffic from that
 * broker together, not per connection.
 */
import { z } from "zod";
import { NoEvidenceError, type FaultContext } from "./fault.ts";
import { addToxics, confirmWithin, defineToxicFault, targetPaths, toxicFaultPlan, watchToxics, type ToxicPath } from "./toxics.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { ToxicRef } from "../../cluster/provider.ts";

/** A proof's transfer takes this long at the cap: long against scheduling noise, short enough to repeat. */
const TRANSFER_MS = 1_500;
/**
 * Capped: at least this share of bytes ÷ rate. Toxiproxy sleeps before it forwards, so a capped transfer
 * is never faster than the cap; the margin is for the clock, not for Toxiproxy.
 */
const EVIDENCE_SHARE = 0.8;
/** Not capped: under this share of bytes ÷ rate, i.e. at least twice the cap's throughput. */
const CONTROL_SHARE = 0.5;
/** While the fault lasts: a transfer every fifth check of the toxic list (every 5 s). */
const WATCH_TRANSFER_EVERY = 5;

const params = z
  .object({
    // Bounds measured on the sim: a DescribeConfigs response is 17 KB, 3.4 s at 5 KB/s; the direct path
    // moves about 5 MB/s on 2 shared cores, so a cap above 1000 KB/s would hardly be slower than no cap.
    rate: z.number().int().min(5).max(1_000).meta({ description: "Throughput cap in KB/s (1 KB = 1000 bytes), 5..1000: the range the harness can prove on a lab." }),
    direction: z.enum(["downstream"]).default("downstream").meta({
      description: "downstream = broker → client (responses). Upstream is not offered: the requests the harness can send are too small to time a cap on.",
    }),
  })
  .strict();

type Transfer = { bytes: number; ms: number } | { error: string };

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
const show = (transfer: Transfer | undefined) =>
  transfer === undefined ? "?" : "error" in transfer ? transfer.error : `${kb(transfer.bytes)} in ${transfer.ms >= 1000 ? `${(transfer.ms / 1000).toFixed(2)} s` : `${transfer.ms.toFixed(0)} ms`}`;
const throughput = (transfer: Transfer) => ("error" in transfer ? "" : ` = ${(transfer.bytes / transfer.ms).toFixed(1)} KB/s`);

/** One transfer per path, one after another: run together they would share the sim's two cores. */
async function transfers(paths: ToxicPath[], minBytes: number, ctx: FaultContext<unknown>): Promise<Map<string, Transfer>> {
  const result = new Map<string, Transfer>();
  for (const path of paths) {
    try {
      const { bytes, ms } = await ctx.transfer.transfer(path.address, path.nodeId, minBytes, ctx.signal);
      result.set(path.label, { bytes, ms });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      result.set(path.label, { error: (error as Error).message });
    }
  }
  return result;
}

export const networkBandwidthFault = defineToxicFault({
  type: "network-bandwidth",
  summary: "Cap the throughput (KB/s) of the workloads' path from chosen Kafka brokers for a duration.",
  params,
  create: (spec) => {
    const rate = spec.params.rate;
    // Toxiproxy's rate is KB/s of 1000 bytes: bytes ÷ rate is milliseconds.
    const cappedMs = (bytes: number) => bytes / rate;
    const capped = (transfer: Transfer | undefined) => transfer !== undefined && !("error" in transfer) && transfer.ms >= EVIDENCE_SHARE * cappedMs(transfer.bytes);
    const fast = (transfer: Transfer | undefined) => transfer !== undefined && !("error" in transfer) && transfer.ms < CONTROL_SHARE * cappedMs(transfer.bytes);
    const minBytes = rate * TRANSFER_MS;
    // What inject added and measured, for watch.
    let injected: { refs: ToxicRef[]; targeted: ToxicPath[] } | undefined;
    return {
      plan: (ctx) =>
        toxicFaultPlan(spec, ctx, [
          `${rate} KB/s ${spec.params.direction} for ${formatDuration(spec.durationMs ?? 0)}`,
          "the direct listener (healer, probes) is not affected",
        ]),
      async inject(ctx) {
        const { selected, paths } = await targetPaths(spec, ctx);
        const targeted = paths.filter((path) => path.targeted);
        const table = (before: Map<string, Transfer>, during?: Map<string, Transfer>) =>
          Object.fromEntries(paths.map((path) => [path.label, { targeted: path.targeted, before: show(before.get(path.label)), ...(during ? { during: show(during.get(path.label)) } : {}) }]));

        // Before touching anything: a path already as slow as the cap would make the proof meaningless.
        const before = await transfers(paths, minBytes, ctx);
        const slow = paths.filter((path) => !fast(before.get(path.label)));
        if (slow.length > 0) {
          throw new NoEvidenceError(
            `path(s) ${slow.map((path) => `${path.label} (${show(before.get(path.label))})`).join(", ")} are already no faster than twice the cap of ${rate} KB/s before it, so a cap cannot be told apart`,
            { rateKBps: rate, paths: table(before) },
          );
        }

        const refs: ToxicRef[] = [];
        injected = { refs, targeted };
        await addToxics(
          ctx,
          { fault: spec.name, nodeIds: selected, directions: [spec.params.direction], spec: (direction) => ({ kind: "bandwidth", rateKBps: rate, direction }) },
          refs,
        );

        return confirmWithin(ctx, spec.confirmWithinMs, async () => {
          const during = await transfers(paths, minBytes, ctx);
          const targetedCapped = targeted.every((path) => capped(during.get(path.label)));
          const controlsFast = paths.filter((path) => !path.targeted).every((path) => fast(during.get(path.label)));
          const observations = { rateKBps: rate, evidenceShare: EVIDENCE_SHARE, controlShare: CONTROL_SHARE, paths: table(before, during), toxics: refs };
          if (targetedCapped && controlsFast) {
            const describe = (path: ToxicPath) => `${path.label} ${show(during.get(path.label))}${throughput(during.get(path.label)!)}`;
            return {
              summary: `${spec.params.direction} ${targeted.map(describe).join(", ")} (cap ${rate} KB/s); controls: ${paths.filter((path) => !path.targeted).map(describe).join(", ")}`,
              effectConfirmedAt: ctx.clock.now(),
              observations,
            };
          }
          const why = !targetedCapped ? `a targeted path moved faster than ${EVIDENCE_SHARE} × the cap allows` : "a control path is slow too (the cap is not confined to its target)";
          return new NoEvidenceError(`${why}: ${JSON.stringify(observations.paths)}`, observations);
        });
      },
      async watch(ctx, untilMs) {
        if (!injected) return;
        const { refs, targeted } = injected;
        let fastChecks = 0;
        // A transfer every few checks: it takes TRANSFER_MS at the cap.
        await watchToxics(ctx, {
          refs,
          durationMs: spec.durationMs,
          untilMs,
          measureEvery: WATCH_TRANSFER_EVERY,
          async measure() {
            const during = await transfers(targeted, minBytes, ctx);
            // A path that did not answer (its broker stopped by an overlapping fault) proves nothing either way.
            const answering = targeted.filter((path) => !("error" in during.get(path.label)!));
            const value = Object.fromEntries(targeted.map((path) => [path.label, show(during.get(path.label))]));
            const outcome = answering.length === 0 ? "no-data" : answering.every((path) => capped(during.get(path.label))) ? "ok" : "not-ok";
            ctx.timeline.record({ kind: "probe", probe: `${spec.name} observed throughput`, outcome, value: { rateKBps: rate, paths: value }, detail: targeted.map((path) => `${path.label} ${value[path.label]}${throughput(during.get(path.label)!)}`).join(", ") });
            if (outcome !== "no-data") fastChecks = outcome === "ok" ? 0 : fastChecks + 1;
            // Two misses in a row, as for latency: one fast sample could be the clock, two are a cap that is gone.
            if (fastChecks >= 2) throw new NoEvidenceError(`the targeted paths are no longer capped at ${rate} KB/s (${JSON.stringify(value)})`, { paths: value });
          },
        });
      },
    };
  },
});
