/**
 * `process-freeze`: stop the processes of chosen pods (SIGSTOP, or the container paused) for a duration,
 * then let them run again (SIGCONT, resumed). The pod stays, its process keeps its memory, sockets and
 * leases — it just stops answering: what a long GC pause, a stuck disk or a VM migration looks like to
 * everyone else.
 *
 *   - type: process-freeze
 *     target: {namespace: streamforge, selector: app=loader, mode: one}
 *     duration: 30s
 *
 * Evidence: the node reports each targeted pod's container frozen within `confirmWithin` — on the sim
 * the kernel's state `T` for every process of the pod (/proc/<pid>/stat); on kind the containerd task
 * `PAUSED` and the kernel's cgroup freezer frozen (`freezer.state FROZEN`, or `cgroup.events frozen 1`),
 * since frozen processes read `D` or `S` there, not `T`. While the fault lasts, `watch` checks that it
 * stays so: a container continued behind the harness's back (or gone: the pod deleted or restarted)
 * before the duration ends makes the fault inconclusive, never "effective".
 *
 * Providers: the lab's `processes` handles do the work. The sim sends SIGSTOP/SIGCONT to the pod's
 * process group (pods of the lab's images are local processes; the ones kwok only simulates have none:
 * skipped). kind pauses the pod's first container through the node's containerd (`docker exec <node>
 * ctr -n k8s.io task pause|resume`, cluster/providers/kind/container-freezer.ts). `existing` has no
 * handles — the harness has no access to a staging cluster's nodes: skipped, saying why.
 *
 * One journal entry per pod, written before it is frozen, holds only the pod's namespace, name and UID:
 * the revert resolves the pod again from a fresh process; a pod that is gone, or already running, is done.
 * The audit reports every stopped pod process of the lab, whoever stopped it — so a concurrent scenario's
 * freeze would read as this one's leak, and the fault keeps the default `lab` scope (it runs alone).
 */
import { z } from "zod";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { PodProcesses, PodProcessHandles, PodRef, StartedLab } from "../../cluster/provider.ts";
import type { Leak } from "../../reports/results/scenario-result.ts";
import type { AuditContext, RevertContext } from "../core/context.ts";
import type { PodInfo } from "../core/ports.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { defineFault, NoEvidenceError, UnsupportedFaultError, type FaultContext } from "./fault.ts";
import { describePodTarget, podTargetSchema, selectPods } from "./pod-target.ts";

const CONFIRM_POLL_MS = 100;
const WATCH_POLL_MS = 500;

const revertAction = z.object({ namespace: z.string().min(1), name: z.string().min(1), uid: z.string().min(1) }).strict();
type Action = z.output<typeof revertAction>;

const podId = (pod: PodRef) => `${pod.namespace}/${pod.name}`;
const showProcesses = (found: PodProcesses) =>
  `${found.processes.map((member) => `${member.pid}:${member.state}`).join(" ")}${found.freezer ? `; ${found.freezer}` : ""}`;

function handlesOf(lab: StartedLab): PodProcessHandles {
  if (lab.processes) return lab.processes;
  throw new UnsupportedFaultError(
    `the ${lab.description.provider} lab cannot stop a pod's processes: that needs the nodes' container runtime (kind: containerd through the node container; sim: the pods' own processes), which this provider does not reach; the sim and kind providers can`,
  );
}

/** Polls until every frozen pod's processes are all reported stopped, or `confirmWithin` is over. */
async function confirmFrozen(pods: PodRef[], handles: PodProcessHandles, ctx: FaultContext<Action>): Promise<PodProcesses[]> {
  const deadline = ctx.clock.now() + ctx.spec.confirmWithinMs;
  for (;;) {
    const seen = await Promise.all(pods.map(async (pod) => ({ pod, found: await handles.inspect(pod) })));
    const notFrozen = seen.filter(({ found }) => !found?.frozen);
    if (notFrozen.length === 0) return seen.map(({ found }) => found!);
    if (ctx.clock.now() >= deadline) {
      const why = notFrozen.map(({ pod, found }) => (found ? `${podId(pod)} (processes ${showProcesses(found)})` : `${podId(pod)} (no process)`)).join(", ");
      throw new NoEvidenceError(`not every process is stopped ${formatDuration(ctx.spec.confirmWithinMs)} after the freeze: ${why}`, { pods: seen });
    }
    await ctx.clock.sleep(CONFIRM_POLL_MS, ctx.signal);
  }
}

export const processFreezeFault = defineFault({
  type: "process-freeze",
  summary: "Stop (SIGSTOP) the processes of pods chosen by selector or workload for the duration, then continue them (SIGCONT).",
  target: podTargetSchema,
  params: z.object({}).strict().prefault({}),
  duration: "required",
  revertAction,
  create: (spec) => {
    let frozen: PodRef[] = [];
    return {
      async plan(ctx) {
        const selection = await selectPods(spec.target, ctx, ctx.rng("pods"));
        return {
          fault: spec.name,
          type: spec.type,
          targets: selection.selected.map((pod: PodInfo) => ({ kind: "pod", id: podId(pod), namespace: pod.namespace, uid: pod.uid, detail: pod.owner ? `owned by ${pod.owner.kind} ${pod.owner.name}` : undefined })),
          candidates: selection.candidates.length,
          safety: selection.safety,
          notes: [`label selector: ${selection.labelSelector}`, `every process of the pod's container frozen (sim: SIGSTOP; kind: container paused) for ${formatDuration(spec.durationMs ?? 0)}, then continued`],
        };
      },
      async inject(ctx) {
        const handles = handlesOf(ctx.lab);
        const selection = await selectPods(spec.target, ctx, ctx.rng("pods"));
        if (!selection.safety.ok) throw new SafetyViolationError(spec.name, selection.safety.violations);
        frozen = [];
        for (const pod of selection.selected) {
          const ref = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
          await ctx.journal.record(ref, `continue (thaw) the processes of pod ${podId(ref)} (uid ${ref.uid})`);
          const found = await handles.freeze(ref);
          frozen.push(ref);
          ctx.markInjected(`stopped pod ${podId(ref)}`);
          ctx.timeline.record({
            kind: "fault",
            fault: spec.name,
            type: spec.type,
            event: "injected",
            detail: `froze pod ${podId(ref)} (${found.containerID}; processes ${showProcesses(found)})`,
            data: { pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid, labels: pod.labels, owner: pod.owner } },
          });
        }
        const confirmed = await confirmFrozen(frozen, handles, ctx);
        return {
          summary: `${confirmed.length} pod(s) of ${describePodTarget(spec.target)} frozen: ${confirmed.map((found) => `${podId(found.pod)} (${found.containerID}, state ${showProcesses(found)})`).join(", ")}`,
          effectConfirmedAt: ctx.clock.now(),
          observations: { pods: confirmed },
        };
      },
      async watch(ctx, untilMs) {
        const handles = handlesOf(ctx.lab);
        while (ctx.clock.now() < untilMs) {
          for (const pod of frozen) {
            const found = await handles.inspect(pod);
            if (!found?.frozen) {
              const what = found ? `runs again (processes ${showProcesses(found)}): continued behind the harness's back` : "is gone (the pod deleted, or its process exited or restarted)";
              throw new NoEvidenceError(`the freeze did not last: pod ${podId(pod)}'s process ${what} before the ${formatDuration(spec.durationMs ?? 0)} were over`, { pod, found });
            }
          }
          await ctx.clock.sleep(Math.min(WATCH_POLL_MS, Math.max(0, untilMs - ctx.clock.now())), ctx.signal);
        }
      },
    };
  },
  /** Idempotent: a pod that is gone, replaced (another UID) or already running is success. */
  async revert(action: Action, ctx: RevertContext) {
    if (!ctx.lab.processes) return;
    const outcome = await ctx.lab.processes.thaw(action);
    ctx.log.info(`process-freeze: pod ${podId(action)} ${outcome === "thawed" ? "continued (thawed)" : "is gone; nothing to continue"}`);
  },
  async audit(ctx: AuditContext): Promise<Leak[]> {
    if (!ctx.lab.processes) return [];
    return (await ctx.lab.processes.listFrozen()).map((found) => ({
      what: `pod ${podId(found.pod)}'s process is stopped (${found.containerID}, state ${showProcesses(found)})`,
      fix: `run \`chaoslab cleanup\`${found.thawByHand ? `, or continue it by hand: ${found.thawByHand}` : ""}`,
    }));
  },
});
