/**
 * `kafka-outage`: every Kafka broker down at once for `duration`, then all started again. What a
 * healer must survive without doing harm: no events arrive from anyone, so silence proves nothing —
 * its circuit breaker must open, it must replace nothing, and after the outage it must resume.
 *
 *   - type: kafka-outage
 *     params: {shutdown: crash}
 *     duration: 30s
 *
 * The whole cluster is the target, so the scenario's safety policy must allow it on purpose
 * (`maxTargets` ≥ the broker count and `maxPercent: 100`); `plan` says so otherwise.
 *
 * Evidence: the lab reports every broker's process (sim) or pod (kind) down, and no broker answers a
 * metadata request from this machine. While the outage lasts the fault watches that it does: a broker
 * running again (restarted by someone else) before the duration ends makes the fault inconclusive,
 * since the outage did not last. Where a controller recreates a stopped broker at once (Strimzi or a
 * StatefulSet on kind and existing clusters) an outage cannot be held: the fault is skipped, saying so.
 *
 * One journal entry covers every broker: the revert starts them all before waiting for any to catch
 * up — a KRaft quorum of one cannot answer, so waiting broker by broker would wait on a cluster that
 * cannot form. Stopped brokers are found by `kafka-broker-failure`'s audit, which runs after every
 * scenario, so this module has no audit of its own (one leak, one line).
 */
import { z } from "zod";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { RevertContext } from "../core/context.ts";
import { SafetyViolationError, checkSafety } from "../core/safety.ts";
import type { KafkaReader } from "../core/ports.ts";
import type { Clock } from "../core/clock.ts";
import { shutdownParams, waitUntilCaughtUp } from "./kafka-broker-failure.ts";
import { defineFault, NoEvidenceError, UnsupportedFaultError } from "./fault.ts";

const POLL_MS = 500;
/** A metadata request to a cluster that is down fails or hangs in retries; past this it counts as no answer. */
const METADATA_ANSWER_MS = 3_000;

const revertAction = z.object({ nodeIds: z.array(z.number().int().min(0)).min(1) }).strict();

/**
 * Whether any broker answers metadata now: the brokers it lists, or undefined when none answered within
 * METADATA_ANSWER_MS of the lab's clock (a simulated clock in the unit tests, so the bound is testable).
 */
async function answeringBrokers(kafka: KafkaReader, clock: Clock, signal: AbortSignal): Promise<number[] | undefined> {
  const answered = new AbortController();
  const noAnswer = clock.sleep(METADATA_ANSWER_MS, AbortSignal.any([signal, answered.signal])).then(
    () => undefined,
    () => undefined,
  );
  try {
    const brokers = await Promise.race([kafka.brokers().then((list) => list.map((broker) => broker.nodeId)), noAnswer]);
    return brokers === undefined || brokers.length === 0 ? undefined : brokers;
  } catch {
    return undefined;
  } finally {
    answered.abort();
  }
}

export const kafkaOutageFault = defineFault({
  type: "kafka-outage",
  summary: "Stop every Kafka broker at once (crash or graceful) for the duration, then start them all again.",
  target: z.object({}).strict().prefault({}).meta({ description: "None: the whole Kafka cluster." }),
  params: shutdownParams,
  duration: "required",
  revertAction,
  create: (spec) => {
    const brokersOf = (ctx: { description: { kafka: { nodeIds: number[] } } }) => ctx.description.kafka.nodeIds;
    const safetyOf = (nodeIds: number[], policy: Parameters<typeof checkSafety>[2]) =>
      checkSafety(nodeIds.map((nodeId) => ({ label: `broker ${nodeId}` })), nodeIds.length, policy);
    return {
      async plan(ctx) {
        const nodeIds = brokersOf(ctx);
        return {
          fault: spec.name,
          type: spec.type,
          targets: nodeIds.map((nodeId) => ({ kind: "broker" as const, id: `broker ${nodeId}` })),
          candidates: nodeIds.length,
          safety: safetyOf(nodeIds, ctx.safety),
          notes: [`all ${nodeIds.length} brokers ${spec.params.shutdown === "crash" ? "crashed" : "stopped"} for ${formatDuration(spec.durationMs ?? 0)}, then started together`],
        };
      },
      async inject(ctx) {
        if (ctx.lab.brokers.downtime === "until-recreated") {
          throw new UnsupportedFaultError("on this lab a stopped broker is recreated at once by its controller (Strimzi or a StatefulSet), so an outage cannot be held for a duration; the sim provider can");
        }
        const nodeIds = brokersOf(ctx);
        const safety = safetyOf(nodeIds, ctx.safety);
        if (!safety.ok) throw new SafetyViolationError(spec.name, safety.violations);
        await ctx.journal.record({ nodeIds }, `start brokers ${nodeIds.join(", ")} again`);
        for (const nodeId of nodeIds) {
          await ctx.lab.brokers.kill(nodeId, spec.params.shutdown);
          ctx.markInjected(`broker ${nodeId} stopped (${spec.params.shutdown})`);
        }
        const deadline = ctx.clock.now() + spec.confirmWithinMs;
        for (;;) {
          const running = (await ctx.lab.brokers.list()).filter((broker) => broker.running).map((broker) => broker.nodeId);
          const answering = running.length === 0 ? await answeringBrokers(ctx.kafka, ctx.clock, ctx.signal) : undefined;
          if (running.length === 0 && answering === undefined) {
            return {
              summary: `all ${nodeIds.length} brokers down; no metadata answer from the cluster`,
              effectConfirmedAt: ctx.clock.now(),
              observations: { stopped: nodeIds },
            };
          }
          if (ctx.clock.now() >= deadline) {
            const why = running.length > 0 ? `broker(s) ${running.join(", ")} still running` : `the cluster still answers metadata (brokers ${answering!.join(", ")})`;
            throw new NoEvidenceError(`brokers ${nodeIds.join(", ")} stopped, but after ${formatDuration(spec.confirmWithinMs)} ${why}`, { running, answering });
          }
          await ctx.clock.sleep(POLL_MS, ctx.signal);
        }
      },
      async watch(ctx, untilMs) {
        while (ctx.clock.now() < untilMs) {
          const back = (await ctx.lab.brokers.list()).filter((broker) => broker.running).map((broker) => broker.nodeId);
          if (back.length > 0) {
            throw new NoEvidenceError(`the outage did not last: broker(s) ${back.join(", ")} running again before the ${formatDuration(spec.durationMs ?? 0)} were over`, { running: back });
          }
          await ctx.clock.sleep(Math.min(POLL_MS, Math.max(0, untilMs - ctx.clock.now())), ctx.signal);
        }
      },
    };
  },
  async revert(action, ctx: RevertContext) {
    // All at once, then catch-up: a KRaft node may not finish starting until a majority of the quorum
    // is back, so starting them one by one could wait on a cluster that cannot form yet.
    const started = await Promise.allSettled(action.nodeIds.map((nodeId) => ctx.lab.brokers.start(nodeId)));
    const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
    for (const nodeId of action.nodeIds) await waitUntilCaughtUp(nodeId, ctx);
  },
});
