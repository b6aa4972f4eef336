/**
 * `network-latency`: add latency (and jitter) on the workloads' path to the chosen brokers, for a
 * duration. The instruments' path (direct listener) is never touched, so probes stay truthful.
 *
 *   - type: network-latency
 *     target: {leaderOf: {topic: loader-data, partition: 0}}
 *     params: {latency: 300ms, jitter: 50ms, direction: both}
 *     duration: 30s
 *
 * Evidence: the round trip of a Kafka request over the workloads' path to each targeted broker (its floor,
 * the fastest of a few) rose by at least half the configured delay, while the controls did not (the same broker's direct path, and an
 * untargeted broker's workloads path). Observed latency is reported next to configured. While the fault
 * lasts, `watch` checks every second that its toxics are still there (and the delay every few seconds):
 * a toxic removed behind the harness's back makes the fault inconclusive, never "effective".
 *
 * Scope: one Toxiproxy proxy per broker and path, so the fault hits every workload's traffic to that
 * broker on its path; picking individual workloads is not offered. On the sim, a run sharing the lab has
 * a Kafka lane of its own (layout.ts KAFKA_LANES), so "every workload" is its own loaders; on kind and
 * existing clusters it is every workload, and the scenario runs alone.
 */
import { z } from "zod";
import { NoEvidenceError, type FaultContext } from "./fault.ts";
import { selectBrokers } from "./broker-target.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { duration } from "../core/duration-field.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { BrokerPaths, HostAddress, ToxicRef } from "../../cluster/provider.ts";
import { addToxics, defineToxicFault, expectToxicsPresent, proxyPlan, toxicDirections } from "./toxics.ts";

const RTT_SAMPLES = 5;
/** While the fault lasts: the toxic list every second, the round trip every fifth check. */
const WATCH_POLL_MS = 1_000;
const WATCH_RTT_EVERY = 5;
/** The effect must show as at least this share of the configured delay (jitter and scheduling noise). */
const EVIDENCE_SHARE = 0.5;

const params = z
  .object({
    latency: duration({ min: 1, description: "Added delay per direction." }),
    jitter: duration({ description: "± random variation of the delay." }).prefault("0ms"),
    direction: z.enum(["downstream", "upstream", "both"]).default("downstream").meta({ description: "downstream = broker → client responses; upstream = client → broker requests." }),
  })
  .strict();

/**
 * The fastest of the samples: the path's floor. A latency toxic lifts every sample, so the floor rises by
 * the delay; a busy machine (scenarios side by side on 2 cores) adds noise above the floor only. A
 * median taken while other runs set up read up to 130 ms high and hid the rise (measured: a baseline
 * at +113 ms left a 200 ms toxic showing +67 ms, and the fault went inconclusive).
 */
function floor(values: number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

interface Path {
  label: string;
  address: HostAddress;
  targeted: boolean;
}

export const networkLatencyFault = defineToxicFault({
  type: "network-latency",
  summary: "Add latency (and jitter) on the workloads' path to chosen Kafka brokers for a duration.",
  params,
  create: (spec) => {
    const directions = toxicDirections(spec.params.direction);
    const perRoundTripMs = spec.params.latency * directions.length;
    // What inject found, for watch: the toxics it added and the paths it measured.
    let injected: { refs: ToxicRef[]; paths: Path[]; baseline: Map<string, number> } | undefined;
    return {
      async plan(ctx) {
        const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
        const reachable = await ctx.brokerPaths().catch(() => [] as BrokerPaths[]);
        return proxyPlan(spec, selection, reachable, [
          `${formatDuration(spec.params.latency)} ± ${formatDuration(spec.params.jitter)} ${spec.params.direction} for ${formatDuration(spec.durationMs ?? 0)}`,
          "the direct listener (healer, probes) is not affected",
        ]);
      },
      async inject(ctx) {
        const selection = await selectBrokers(spec.target, ctx, ctx.rng("brokers"));
        if (!selection.safety.ok) throw new SafetyViolationError(spec.name, selection.safety.violations);
        // Addresses this machine can dial, per broker and path, as the lab publishes them (on a real
        // cluster the advertised names are in-cluster DNS names the harness cannot reach).
        const reachable = await ctx.brokerPaths();
        const paths: Path[] = [];
        for (const nodeId of selection.selected) {
          const broker = reachable.find((candidate) => candidate.nodeId === nodeId);
          if (!broker) throw new Error(`the lab publishes no path to broker ${nodeId} (brokers with paths: ${reachable.map((b) => b.nodeId).join(", ") || "none"})`);
          paths.push({ label: `workloads→${nodeId}`, address: broker.workloads, targeted: true });
          paths.push({ label: `direct→${nodeId}`, address: broker.direct, targeted: false });
        }
        const control = reachable.find((broker) => !selection.selected.includes(broker.nodeId));
        if (control) paths.push({ label: `workloads→${control.nodeId}`, address: control.workloads, targeted: false });

        const baseline = await measure(paths, ctx);
        const refs: ToxicRef[] = [];
        injected = { refs, paths, baseline };
        await addToxics(
          ctx,
          {
            fault: spec.name,
            nodeIds: selection.selected,
            directions,
            spec: (direction) => ({ kind: "latency", latencyMs: spec.params.latency, jitterMs: spec.params.jitter, direction }),
          },
          refs,
        );

        const deadline = ctx.clock.now() + spec.confirmWithinMs;
        let observed = new Map<string, number>();
        for (;;) {
          observed = await measure(paths, ctx);
          const rise = (path: Path) => (observed.get(path.label) ?? Number.NaN) - (baseline.get(path.label) ?? Number.NaN);
          const threshold = perRoundTripMs * EVIDENCE_SHARE;
          const targetedRose = paths.filter((path) => path.targeted).every((path) => rise(path) >= threshold);
          const controlsQuiet = paths.filter((path) => !path.targeted).every((path) => !(rise(path) >= threshold));
          const table = Object.fromEntries(paths.map((path) => [path.label, { baselineMs: baseline.get(path.label), observedMs: observed.get(path.label), targeted: path.targeted }]));
          const observations = { configuredMs: perRoundTripMs, thresholdMs: threshold, paths: table, toxics: refs };
          if (targetedRose && controlsQuiet) {
            const shown = paths.filter((path) => path.targeted).map((path) => `${path.label} +${rise(path).toFixed(0)}ms`).join(", ");
            return {
              summary: `round trip rose ${shown} (configured +${perRoundTripMs}ms per round trip); controls unchanged`,
              effectConfirmedAt: ctx.clock.now(),
              observations,
            };
          }
          if (ctx.clock.now() >= deadline) {
            const why = !targetedRose ? "the targeted paths did not slow down enough" : "a control path slowed down too (the fault is not confined to its target)";
            throw new NoEvidenceError(`${why}: ${JSON.stringify(table)}`, observations);
          }
          await ctx.clock.sleep(500, ctx.signal);
        }
      },
      async watch(ctx, untilMs) {
        if (!injected) return;
        const { refs, paths, baseline } = injected;
        const targeted = paths.filter((path) => path.targeted);
        const threshold = perRoundTripMs * EVIDENCE_SHARE;
        let slowChecks = 0;
        for (let check = 1; ctx.clock.now() < untilMs; check++) {
          await expectToxicsPresent(ctx, refs, spec.durationMs);
          // The RTT every few checks: it costs requests to the brokers, the toxic list costs nothing.
          if (check % WATCH_RTT_EVERY === 0) {
            const observed = await measure(targeted, ctx);
            // A path that did not answer (its broker stopped, e.g. by an overlapping fault) proves nothing either way.
            const answering = targeted.filter((path) => Number.isFinite(observed.get(path.label)));
            const rises = Object.fromEntries(answering.map((path) => [path.label, observed.get(path.label)! - (baseline.get(path.label) ?? Number.NaN)]));
            const silent = targeted.filter((path) => !answering.includes(path)).map((path) => `${path.label} no answer`);
            const outcome = answering.length === 0 ? "no-data" : Object.values(rises).every((rise) => rise >= threshold) ? "ok" : "not-ok";
            ctx.timeline.record({ kind: "probe", probe: `${spec.name} observed latency`, outcome, value: { configuredMs: perRoundTripMs, riseMs: rises }, detail: [...Object.entries(rises).map(([label, rise]) => `${label} +${rise.toFixed(0)}ms`), ...silent].join(", ") });
            if (outcome !== "no-data") slowChecks = outcome === "ok" ? 0 : slowChecks + 1;
            // Two misses in a row: one slow sample is scheduling noise, two are a fault that is gone.
            if (slowChecks >= 2) throw new NoEvidenceError(`the targeted paths no longer show the delay (${JSON.stringify(rises)}; threshold +${threshold}ms)`, { rises });
          }
          await ctx.clock.sleep(Math.min(WATCH_POLL_MS, Math.max(0, untilMs - ctx.clock.now())), ctx.signal);
        }
      },
    };
  },
});

/**
 * The floor of the round trip per path (fastest of RTT_SAMPLES): the baseline before the toxics and the proof after.
 * A path that does not answer reads NaN (no proof of a delay, and no proof against one): with faults
 * that overlap, its broker may be down on purpose.
 */
async function measure(paths: Path[], ctx: FaultContext<unknown>): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const path of paths) {
    try {
      result.set(path.label, floor(await ctx.rtt.measure(path.address, RTT_SAMPLES, ctx.signal)));
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      result.set(path.label, Number.NaN);
    }
  }
  return result;
}
