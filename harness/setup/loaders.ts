/**
 * `loaders`: start N loader Jobs (`loader-1` .. `loader-N`, created as `loader-1-<run suffix>`: see
 * engine/run-names.ts), some of them with a fault profile.
 *
 *   - loaders: {count: 3, messages: 5000, rate: 200/s, profile: {stallAfter: 10s, for: [loader-1]}}
 *
 * The Jobs come from workloads/manifests/loader-job.ts (the one source of the loader Job's shape) and
 * carry the healer's opt-in labels, the chaos opt-in label and the run's label; teardown deletes every
 * Job with the run's label (the healer's replacements copy it, so they go too).
 */
import { z } from "zod";
import { defineSetupAction } from "./setup-action.ts";
import { deleteLabelled, deleteLabelledAction } from "./delete-labelled.ts";
import { duration } from "../core/duration-field.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import type { Clock } from "../core/clock.ts";
import type { Timeline } from "../core/timeline.ts";
import { CHAOS_OPT_IN_LABEL } from "../core/safety.ts";
import type { Fault } from "../../workloads/loader/fault-profile.ts";
import type { KubeObject } from "../core/ports.ts";
import { buildLoaderJob, DEFAULT_HEARTBEAT_INTERVAL_MS, LOADER_IMAGE } from "../../workloads/manifests/loader-job.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

/** The loader's name as the scenario writes it, on the Job and its pods: `selector: chaoslab.streamforge.io/name=loader-1`. */
export const SCENARIO_NAME_LABEL = "chaoslab.streamforge.io/name";

const RATE = /^(\d+(?:\.\d+)?)\/(s|m)$/;

const profile = z
  .object({
    for: z.array(z.string().min(1)).min(1).meta({ description: "Which loaders (by name) get this profile." }),
    stallAfter: duration({ description: "Stop all events and production (healer: STOP)." }).optional(),
    heartbeatOnlyAfter: duration({ description: "Keep heartbeats, stop production (healer: STALL)." }).optional(),
    crashAfter: duration({ description: "Exit at once (Job: pod failed)." }).optional(),
    exitCode: z.number().int().min(1).max(255).optional().meta({ description: "With crashAfter (default 1)." }),
    fatalAfter: duration({ description: "Exit with the fatal code (Job: FailJob)." }).optional(),
    criticalErrorAfter: duration({ description: "Emit a critical error event (healer: FAULT)." }).optional(),
    rewindAfter: duration({ description: "Event seq jumps back (healer: REWIND)." }).optional(),
    rewindBy: z.number().int().min(1).optional(),
  })
  .strict();

export function profileFaults(value: z.output<typeof profile>): Fault[] {
  const faults: Fault[] = [];
  if (value.stallAfter !== undefined) faults.push({ kind: "stall", afterMs: value.stallAfter });
  if (value.heartbeatOnlyAfter !== undefined) faults.push({ kind: "heartbeat-only", afterMs: value.heartbeatOnlyAfter });
  if (value.crashAfter !== undefined) faults.push({ kind: "crash", afterMs: value.crashAfter, exitCode: value.exitCode ?? 1 });
  if (value.fatalAfter !== undefined) faults.push({ kind: "fatal", afterMs: value.fatalAfter });
  if (value.criticalErrorAfter !== undefined) faults.push({ kind: "critical-error", afterMs: value.criticalErrorAfter });
  if (value.rewindAfter !== undefined) faults.push({ kind: "rewind", afterMs: value.rewindAfter, by: value.rewindBy });
  return faults;
}

const params = z
  .object({
    count: z.number().int().min(1).max(100),
    messages: z.number().int().min(0),
    rate: z
      .string()
      .regex(RATE, { error: (issue) => `rate: expected records per second or minute like 200/s or 600/m, found ${JSON.stringify(issue.input)}` })
      .transform((text) => {
        const [, amount, unit] = RATE.exec(text)!;
        return Number(amount) / (unit === "m" ? 60 : 1);
      })
      .prefault("100/s"),
    namePrefix: z.string().regex(/^[a-z][a-z0-9-]*$/).default("loader"),
    namespace: z.string().min(1).default(STREAMFORGE_NAMESPACE),
    image: z.string().min(1).default(LOADER_IMAGE),
    heartbeat: duration({ min: 100, description: "Heartbeat interval (loader env and healer annotation)." }).optional(),
    silenceThreshold: duration({ description: "Per-Job healer override (annotation; ≥ 3× heartbeat)." }).optional(),
    backoffLimit: z.number().int().min(0).default(0),
    waitUntilFlowing: duration({ description: "Setup ends once every loader's events flow (its first heartbeat or progress), so faults hit working loaders; 0s: do not wait." }).prefault("60s"),
    profile: z.union([profile, z.array(profile).min(1)]).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const heartbeat = value.heartbeat ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    if (value.silenceThreshold !== undefined && value.silenceThreshold < 3 * heartbeat) {
      ctx.addIssue({ code: "custom", path: ["silenceThreshold"], message: `the healer rejects a silence threshold below 3 × heartbeat (${3 * heartbeat} ms); raise it or lower heartbeat` });
    }
    const names = new Set(Array.from({ length: value.count }, (_, i) => `${value.namePrefix}-${i + 1}`));
    const profiles = value.profile === undefined ? [] : Array.isArray(value.profile) ? value.profile : [value.profile];
    profiles.forEach((entry, index) => {
      const path = Array.isArray(value.profile) ? ["profile", index] : ["profile"];
      for (const name of entry.for) {
        if (!names.has(name)) ctx.addIssue({ code: "custom", path: [...path, "for"], message: `${name} is not one of the loaders created here (${[...names].join(", ")})` });
      }
      if (profileFaults(entry).length === 0) ctx.addIssue({ code: "custom", path, message: "a profile needs at least one fault (stallAfter, crashAfter, ...)" });
    });
  });

const FLOWING_POLL_MS = 250;

/** Waits for a `flowing` entry (queue-events recorder) of every task, bounded by `timeoutMs`. */
async function waitUntilFlowing(tasks: string[], timeoutMs: number, ctx: { timeline: Timeline; clock: Clock; signal: AbortSignal }): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const flowing = new Set(ctx.timeline.ofKind("task").filter((entry) => entry.event === "flowing").map((entry) => entry.taskId));
    const waiting = tasks.filter((task) => !flowing.has(task));
    if (waiting.length === 0) return;
    if (ctx.clock.now() >= deadline) {
      throw new Error(
        `loader(s) ${waiting.join(", ")} sent no heartbeat or progress within ${formatDuration(timeoutMs)} of their Job's creation ` +
          "(is the queue-events recorder running? see the pods' logs; on the sim .chaoslab/sim/pods/)",
      );
    }
    await ctx.clock.sleep(FLOWING_POLL_MS, ctx.signal);
  }
}

export const loadersSetup = defineSetupAction({
  kind: "loaders",
  summary: "Start loader Jobs (optionally with fault profiles) that the healer manages.",
  params,
  revertAction: deleteLabelledAction,
  create: (spec) => ({
    describe: () => `${spec.count} loader Job(s) ${spec.namePrefix}-1..${spec.count}, ${spec.messages} messages at ${spec.rate}/s`,
    async run(ctx) {
      const labelSelector = Object.entries(ctx.runLabels).map(([key, value]) => `${key}=${value}`).join(",");
      await ctx.journal.record(
        { namespace: spec.namespace, labelSelector, kinds: [{ apiVersion: "batch/v1", kind: "Job" }] },
        `delete loader Jobs with ${labelSelector} in ${spec.namespace}`,
      );
      const profiles = spec.profile === undefined ? [] : Array.isArray(spec.profile) ? spec.profile : [spec.profile];
      const created: string[] = [];
      for (let index = 1; index <= spec.count; index++) {
        const name = `${spec.namePrefix}-${index}`;
        const faults = profiles.filter((entry) => entry.for.includes(name)).flatMap(profileFaults);
        // The Job (and task id) carries the run's suffix; the scenario keeps writing `loader-1`.
        const jobName = ctx.names.register(name);
        await ctx.kube.create(
          buildLoaderJob({
            name: jobName,
            namespace: spec.namespace,
            image: spec.image,
            messages: spec.messages,
            ratePerSec: spec.rate,
            heartbeatIntervalMs: spec.heartbeat,
            silenceThresholdMs: spec.silenceThreshold,
            faults,
            // SCENARIO_NAME_LABEL lets a fault target one loader by its scenario name (`loader-1`).
            labels: { ...ctx.runLabels, [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value, [SCENARIO_NAME_LABEL]: name },
            backoffLimit: spec.backoffLimit,
            // On the run's Kafka lane when it has one: its network faults then slow only these loaders.
            kafkaLane: ctx.lab.network.lane,
          }) as unknown as KubeObject,
        );
        ctx.timeline.record({ kind: "note", level: "info", message: `created Job ${spec.namespace}/${jobName} (${name})${faults.length ? ` with fault profile ${faults.map((fault) => fault.kind).join(", ")}` : ""}` });
        created.push(jobName);
      }
      if (spec.waitUntilFlowing > 0) await waitUntilFlowing(created, spec.waitUntilFlowing, ctx);
    },
  }),
  revert: deleteLabelled,
});
