/**
 * `task.resumed`: after its pod was deleted, the task's events flow again (a new process started and
 * sent a heartbeat or progress) within the bound — and the report says who restored it: the Job
 * controller (a new pod of the same Job) or the healer (a replacement Job).
 *
 *   task.resumed: {since: kill-loader, within: 60s}                 # the tasks of the pods kill-loader deleted
 *   task.resumed: {task: loader-1, since: kill-loader, within: 90s, by: healer}
 *
 * The clock of each task starts at the last deletion of one of its pods (a pod-delete with several
 * iterations may hit a task twice). MTTR = that deletion → first event of the new process.
 */
import { z } from "zod";
import { defineExpectation, type ExpectationOutcome, observedSince } from "./expectation.ts";
import type { Recovery } from "../../reports/results/scenario-result.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { ON_NO_DATA, timingShape } from "../timing/timing.ts";
import { LABELS } from "../../workloads/queue-events/contract.ts";
import { JOB_POD_LABELS } from "../../workloads/manifests/loader-job.ts";
import type { EntryOf } from "../../reports/results/timeline.ts";

const POLL_MS = 250;
/** Events are stamped by the worker and reach the recorder through Kafka a little later. */
const RECORDER_GRACE_MS = 2_000;

export const RESTORERS = ["job-controller", "healer", "any"] as const;
type Restorer = Exclude<(typeof RESTORERS)[number], "any">;

interface Victim {
  taskId: string;
  /** UID of the Job that owned the deleted pod. */
  jobUid?: string;
  jobName?: string;
  deletedAt: number;
}

export interface Restoration {
  taskId: string;
  deletedAt: number;
  startedAt?: number;
  flowingAt: number;
  by: Restorer | "unknown";
  jobName: string;
  detail: string;
}

type PodData = { pod?: { name?: string; labels?: Record<string, string>; owner?: { kind: string; name: string; uid: string } } };

/** The tasks whose pods a fault deleted, from its timeline entries (pod-delete records each victim). */
export function victimsOf(fault: readonly EntryOf<"fault">[]): Victim[] {
  const victims = new Map<string, Victim>();
  for (const entry of fault) {
    const pod = (entry.data as PodData | undefined)?.pod;
    const taskId = pod?.labels?.[LABELS.taskId];
    if (entry.event !== "injected" || !taskId) continue;
    const previous = victims.get(taskId);
    if (previous && previous.deletedAt >= entry.at) continue;
    victims.set(taskId, {
      taskId,
      jobUid: pod?.owner?.kind === "Job" ? pod.owner.uid : pod?.labels?.[JOB_POD_LABELS.controllerUid],
      jobName: pod?.owner?.kind === "Job" ? pod.owner.name : pod?.labels?.[JOB_POD_LABELS.jobName],
      deletedAt: entry.at,
    });
  }
  return [...victims.values()];
}

/** Pure: has the victim's task resumed on this timeline, and who restored it. */
export function findRestoration(victim: Victim, tasks: readonly EntryOf<"task">[], healer: readonly EntryOf<"healer">[]): Restoration | undefined {
  const after = tasks.filter((entry) => entry.taskId === victim.taskId && entry.at >= victim.deletedAt);
  const flowing = after.find((entry) => entry.event === "flowing");
  if (!flowing) return undefined;
  const started = after.find((entry) => entry.event === "started" && entry.jobUid === flowing.jobUid && entry.at <= flowing.at);
  const replaced = healer.find((entry) => entry.action === "replaced" && entry.taskId === victim.taskId && entry.at >= victim.deletedAt - RECORDER_GRACE_MS);
  let by: Restoration["by"];
  let detail: string;
  if (victim.jobUid !== undefined && flowing.jobUid === victim.jobUid) {
    by = "job-controller";
    detail = `the Job controller: a new pod of Job ${flowing.jobName} (same UID), attempt ${flowing.attempt}`;
  } else if (replaced && (replaced.replacementJobUid === undefined || replaced.replacementJobUid === flowing.jobUid || replaced.replacementJobName === flowing.jobName)) {
    by = "healer";
    detail = `the healer: replacement Job ${flowing.jobName} for ${replaced.jobName}${replaced.reason ? ` (${replaced.reason})` : ""}`;
  } else {
    by = "unknown";
    detail = `Job ${flowing.jobName} (uid ${flowing.jobUid}), neither the deleted pod's Job nor a recorded healer replacement`;
  }
  return { taskId: victim.taskId, deletedAt: victim.deletedAt, startedAt: started?.at, flowingAt: flowing.at, by, jobName: flowing.jobName, detail };
}

export const taskResumedExpectation = defineExpectation({
  kind: "task.resumed",
  summary: "After its pod was deleted, the task's events flow again within the bound; says whether the Job controller or the healer restored it.",
  params: z
    .object({
      task: z.string().min(1).optional().meta({ description: "Task (loader name). Default: the tasks of the pods the `since` fault deleted." }),
      by: z.enum(RESTORERS).default("any").meta({ description: "Who must have restored it: job-controller (new pod, same Job), healer (replacement Job), any." }),
      since: timingShape.since,
      within: timingShape.within,
      onNoData: z.enum(ON_NO_DATA).default("inconclusive"),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `${spec.task ?? "the deleted pods' tasks"} flow again${spec.within !== undefined ? ` within ${formatDuration(spec.within)}` : ""} after ${spec.since ?? "faults"}${spec.by !== "any" ? `, restored by the ${spec.by}` : ""}`,
    async evaluate(ctx): Promise<ExpectationOutcome> {
      const start = await observedSince(ctx, spec, "tasks", "worker events are not being recorded (queue-events recorder not running)");
      if ("outcome" in start) return start.outcome;
      const { reference, noData } = start;
      // The faults have to be over before the victims are known (iterations may add more).
      const window = await ctx.faultWindow.catch(() => undefined);
      const faultEntries = ctx.timeline.ofKind("fault").filter((entry) => spec.since === undefined || entry.fault === spec.since);
      const victims = spec.task !== undefined
        ? [{ ...(victimsOf(faultEntries).find((victim) => victim.taskId === ctx.names.resolve(spec.task!)) ?? { deletedAt: reference }), taskId: ctx.names.resolve(spec.task) }]
        : victimsOf(faultEntries);
      if (victims.length === 0) return noData(`no deleted pod of a task was recorded for ${spec.since ?? "the faults"}${window ? "" : " (the faults did not finish)"}`);

      const within = spec.within ?? Math.max(0, ctx.scenarioDeadline - reference);
      const done = new Map<string, Restoration>();
      for (;;) {
        const tasks = ctx.timeline.ofKind("task");
        const healer = ctx.timeline.ofKind("healer");
        for (const victim of victims) {
          if (done.has(victim.taskId)) continue;
          const found = findRestoration(victim, tasks, healer);
          if (found) done.set(victim.taskId, found);
        }
        const pending = victims.filter((victim) => !done.has(victim.taskId));
        const lastDeadline = Math.max(...pending.map((victim) => victim.deletedAt + within));
        if (pending.length === 0 || ctx.clock.now() > lastDeadline + RECORDER_GRACE_MS || ctx.signal.aborted) break;
        await ctx.clock.sleep(POLL_MS, ctx.signal).catch(() => undefined);
      }

      const restorations = [...done.values()];
      const worst = restorations.reduce<Restoration | undefined>((max, r) => (!max || r.flowingAt - r.deletedAt > max.flowingAt - max.deletedAt ? r : max), undefined);
      const recovery: Recovery | undefined = worst && {
        reference: worst.deletedAt,
        detectedAt: worst.startedAt,
        recoveredAt: worst.flowingAt,
        mttrMs: worst.flowingAt - worst.deletedAt,
        restoredBy: worst.by,
      };
      const evidence = { victims, restorations };
      const lines = restorations.map((r) => `${ctx.names.scenarioName(r.taskId) ?? r.taskId} flowing again +${formatDuration(r.flowingAt - r.deletedAt)} after its pod was deleted, restored by ${r.detail}`);
      const missing = victims.filter((victim) => !done.has(victim.taskId));
      if (missing.length > 0) {
        return {
          verdict: "failed",
          message: `${missing.map((victim) => ctx.names.scenarioName(victim.taskId) ?? victim.taskId).join(", ")}: no events from a new process within ${formatDuration(within)} of the deletion${ctx.signal.aborted ? " (the run ended first)" : ""}${lines.length ? `; ${lines.join("; ")}` : ""}`,
          evidence,
          recovery,
        };
      }
      const late = restorations.filter((r) => r.flowingAt - r.deletedAt > within);
      if (late.length > 0) return { verdict: "failed", message: `late: ${lines.join("; ")} (bound ${formatDuration(within)})`, evidence, recovery };
      const wrong = spec.by === "any" ? [] : restorations.filter((r) => r.by !== spec.by);
      if (wrong.length > 0) return { verdict: "failed", message: `expected the ${spec.by} to restore it: ${lines.join("; ")}`, evidence, recovery };
      return { verdict: "passed", message: lines.join("; "), evidence, recovery };
    },
  }),
});
