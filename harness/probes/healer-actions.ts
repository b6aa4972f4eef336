/**
 * `healer.actions`: the healer took (or did not take) an action, as seen on the timeline — its
 * `healer.*` records on queue-events and its Kubernetes Events.
 *
 *   healer.actions: {action: suppressed, min: 1}             # the breaker held during the outage
 *   healer.actions: {action: replaced, max: 0}               # ... and replaced nothing
 *
 * `job` matches the Job name or the task id (a task keeps its id across replacements).
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";
import type { EntryOf } from "../../reports/results/timeline.ts";

export const HEALER_ACTIONS = ["detected", "replaced", "suppressed"] as const;

export function healerEntryMatches(entry: EntryOf<"healer">, filter: { action?: string; job?: string; reason?: string }): boolean {
  return (
    (filter.action === undefined || entry.action === filter.action) &&
    (filter.job === undefined || entry.jobName === filter.job || entry.taskId === filter.job) &&
    (filter.reason === undefined || entry.reason === filter.reason)
  );
}

/**
 * On a shared lab the healer also acts on other people's Jobs: when the run created tasks, only
 * decisions about them count (a `max: 0` must not fail because of someone else's loader).
 */
export function ofThisRun(entry: EntryOf<"healer">, runTasks: readonly string[]): boolean {
  return runTasks.length === 0 || runTasks.some((task) => entry.taskId === task || entry.jobName === task || entry.jobName.startsWith(`${task}-`));
}

/**
 * One decision can be seen twice (queue-events and a Kubernetes Event): count it once, and keep the
 * queue-events record when there is one — it carries the healer's millisecond stamp, the replacement
 * and the observed silence, while an Event's time is truncated to the second.
 */
export function distinctHealerDecisions(entries: readonly EntryOf<"healer">[]): EntryOf<"healer">[] {
  const byKey = new Map<string, EntryOf<"healer">>();
  for (const entry of entries) {
    const key = `${entry.action}/${entry.jobUid || entry.jobName}`;
    const kept = byKey.get(key);
    if (!kept || (kept.source === "k8s-event" && entry.source === "queue-events")) byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => a.at - b.at);
}

export const healerActionsProbe = defineProbe({
  kind: "healer.actions",
  summary: "Counts the healer's decisions (detected, replaced, suppressed) since the run started.",
  params: z
    .object({
      action: z.enum(HEALER_ACTIONS),
      job: z.string().min(1).optional().meta({ description: "Job name or task id." }),
      reason: z.string().min(1).optional().meta({ description: "STOP, STALL, REWIND, FAULT, DISRUPTED, ..." }),
      min: z.number().int().min(0).default(1),
      max: z.number().int().min(0).optional(),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `healer ${spec.action}${spec.job ? ` ${spec.job}` : ""} ×[${spec.min}..${spec.max ?? "∞"}]`,
    async sample(ctx) {
      if (!ctx.observing("healer")) return { outcome: "no-data", detail: "healer decisions are not being recorded (queue-events recorder not running)" };
      const matching = distinctHealerDecisions(
        ctx.timeline
          .ofKind("healer")
          .filter((entry) => entry.at >= ctx.runStartedAt && healerEntryMatches(entry, { ...spec, job: spec.job === undefined ? undefined : ctx.names.resolve(spec.job) }) && ofThisRun(entry, ctx.names.created())),
      );
      const holds = matching.length >= spec.min && (spec.max === undefined || matching.length <= spec.max);
      const last = matching.at(-1);
      return {
        outcome: holds ? "ok" : "not-ok",
        value: { count: matching.length, jobs: matching.map((entry) => entry.jobName) },
        detail: `${matching.length} ${spec.action} decision(s)${last ? `, last: ${last.jobName}${last.reason ? ` (${last.reason})` : ""}` : ""}`,
      };
    },
  }),
});
