/**
 * `pod-delete`: delete pods chosen by selector or workload, `iterations` times, `interval` apart,
 * re-selecting on every iteration (pods come back under new names).
 *
 *   - type: pod-delete
 *     target: {namespace: streamforge, selector: app=loader, mode: one}
 *     params: {force: true, interval: 5s, iterations: 2}
 *
 * Evidence: every deleted pod's UID is gone (the pod was removed, or recreated under its name with a
 * new UID) within `confirmWithin`. Nothing to revert: the controllers recreate what they own, and
 * whether they do is for the expectations to judge.
 */
import { z } from "zod";
import { defineFault, NoEvidenceError, type FaultContext } from "./fault.ts";
import { describePodTarget, podTargetSchema, selectPods } from "./pod-target.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { duration } from "../core/duration-field.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { PodInfo } from "../core/ports.ts";

const CONFIRM_POLL_MS = 250;

const params = z
  .object({
    force: z.boolean().default(false).meta({ description: "Grace period 0 (SIGKILL at once) instead of the pod's own." }),
    gracePeriod: duration({ description: "Override the pod's termination grace period (ignored with force)." }).optional(),
    iterations: z.number().int().min(1).max(100).default(1),
    interval: duration({ description: "Pause between iterations." }).prefault("0s"),
  })
  .strict()
  .prefault({});

interface DeletedPod {
  namespace: string;
  name: string;
  uid: string;
  iteration: number;
  deletedAt: number;
  goneAt?: number;
}

async function confirmGone(pods: DeletedPod[], ctx: FaultContext<never>): Promise<void> {
  const deadline = ctx.clock.now() + ctx.spec.confirmWithinMs;
  for (;;) {
    for (const pod of pods.filter((candidate) => candidate.goneAt === undefined)) {
      const current = await ctx.kube.getPod(pod.namespace, pod.name);
      if (!current || current.uid !== pod.uid) pod.goneAt = ctx.clock.now();
    }
    const waiting = pods.filter((pod) => pod.goneAt === undefined);
    if (waiting.length === 0) return;
    if (ctx.clock.now() >= deadline) {
      throw new NoEvidenceError(
        `pod(s) ${waiting.map((pod) => `${pod.namespace}/${pod.name} (uid ${pod.uid})`).join(", ")} still exist ${formatDuration(ctx.spec.confirmWithinMs)} after deletion`,
        { deleted: pods },
      );
    }
    await ctx.clock.sleep(CONFIRM_POLL_MS, ctx.signal);
  }
}

export const podDeleteFault = defineFault({
  type: "pod-delete",
  summary: "Delete pods chosen by selector or workload (one/count/percent), gracefully or by force, N times.",
  target: podTargetSchema,
  params,
  duration: "none",
  // Only the run's own pods make it target-scoped: a shared workload's pods (the connector, the healer)
  // are every run's, so deleting them must not happen beside other scenarios.
  scope: (target) => (target.thisRun ? "targets" : "lab"),
  revertAction: z.never(),
  create: (spec) => ({
    async plan(ctx) {
      const selection = await selectPods(spec.target, ctx, ctx.rng("iteration", "1"));
      const notes = [`label selector: ${selection.labelSelector}`, `${spec.params.force ? "force (grace 0)" : spec.params.gracePeriod !== undefined ? `grace ${formatDuration(spec.params.gracePeriod)}` : "graceful (the pod's own grace period)"}`];
      if (spec.params.iterations > 1) {
        notes.push(`${spec.params.iterations} iterations ${formatDuration(spec.params.interval)} apart; targets are re-selected every iteration (shown: iteration 1)`);
      }
      return {
        fault: spec.name,
        type: spec.type,
        targets: selection.selected.map((pod: PodInfo) => ({ kind: "pod", id: `${pod.namespace}/${pod.name}`, namespace: pod.namespace, uid: pod.uid, detail: pod.owner ? `owned by ${pod.owner.kind} ${pod.owner.name}` : undefined })),
        candidates: selection.candidates.length,
        safety: selection.safety,
        notes,
      };
    },
    async inject(ctx) {
      const deleted: DeletedPod[] = [];
      const gracePeriodSeconds = spec.params.force ? 0 : spec.params.gracePeriod !== undefined ? Math.ceil(spec.params.gracePeriod / 1000) : undefined;
      for (let iteration = 1; iteration <= spec.params.iterations; iteration++) {
        if (iteration > 1) await ctx.clock.sleep(spec.params.interval, ctx.signal);
        const selection = await selectPods(spec.target, ctx, ctx.rng("iteration", String(iteration)));
        if (!selection.safety.ok) throw new SafetyViolationError(spec.name, selection.safety.violations);
        const batch: DeletedPod[] = [];
        for (const pod of selection.selected) {
          const result = await ctx.kube.deletePod(pod.namespace, pod.name, { uid: pod.uid, gracePeriodSeconds });
          const entry = { namespace: pod.namespace, name: pod.name, uid: pod.uid, iteration, deletedAt: ctx.clock.now() };
          batch.push(entry);
          if (deleted.length === 0 && batch.length === 1) ctx.markInjected(`deleted pod ${pod.namespace}/${pod.name}`);
          ctx.timeline.record({
            kind: "fault",
            fault: spec.name,
            type: spec.type,
            event: "injected",
            detail: `iteration ${iteration}: ${result === "gone" ? "already gone" : "deleted"} pod ${pod.namespace}/${pod.name} (uid ${pod.uid})`,
            // Expectations read the victims from here (task.resumed: which task, which Job owned the pod).
            data: { pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid, labels: pod.labels, owner: pod.owner } },
          });
        }
        await confirmGone(batch, ctx as FaultContext<never>);
        deleted.push(...batch);
      }
      const lastGone = Math.max(...deleted.map((pod) => pod.goneAt ?? 0));
      return {
        summary: `${deleted.length} pod(s) deleted over ${spec.params.iterations} iteration(s) of ${describePodTarget(spec.target)}; every deleted UID is gone`,
        effectConfirmedAt: lastGone,
        observations: { deleted },
      };
    },
  }),
  revert: async () => undefined,
});
