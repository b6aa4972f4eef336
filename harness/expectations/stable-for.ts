/**
 * `stableFor`: nothing else changed for a while — no object of the given kinds was created, deleted or
 * recreated (new UID) in the window, except the named ones ("nothing rolled during a stabilisation
 * window", as Strimzi's system tests put it).
 *
 *   stableFor: {duration: 30s, kinds: [Job], except: [loader-1]}
 *
 * An `except` entry also covers names that start with `<entry>-`: the replacement `loader-1-r1` and the
 * pods `loader-1-abcde` of the excepted Job. The window is [since, since + duration]; the run has to
 * last until it closes, or the expectation fails.
 */
import { z } from "zod";
import { defineExpectation, type ExpectationOutcome } from "./expectation.ts";
import { duration } from "../core/duration-field.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { ON_NO_DATA, timingShape } from "../timing/timing.ts";

export const WATCHED_KINDS = ["Pod", "Job", "ReplicaSet", "Deployment", "StatefulSet"] as const;

export function isExcepted(name: string, except: readonly string[]): boolean {
  return except.some((entry) => name === entry || name.startsWith(`${entry}-`));
}

export const stableForExpectation = defineExpectation({
  kind: "stableFor",
  summary: "No object of the given kinds was created, deleted or recreated in the window, except the named ones.",
  params: z
    .object({
      duration: duration({ min: 1, description: "Length of the window." }),
      kinds: z.array(z.enum(WATCHED_KINDS)).min(1),
      except: z.array(z.string().min(1)).default([]),
      thisRun: z.boolean().default(false).meta({ description: "Only objects this run created (and those derived from them): on a shared lab, others' objects change too." }),
      namespaces: z.array(z.string().min(1)).min(1).optional().meta({ description: "Default: every namespace the run watches." }),
      since: timingShape.since,
      onNoData: z.enum(ON_NO_DATA).default("inconclusive"),
    })
    .strict(),
  create: (spec) => ({
    describe: () => `no ${spec.kinds.join("/")} changed for ${formatDuration(spec.duration)} after ${spec.since ?? "faults"}${spec.except.length ? ` except ${spec.except.join(", ")}` : ""}`,
    async evaluate(ctx): Promise<ExpectationOutcome> {
      // Changes are only recorded where the run watches: a namespace nobody watches would look "stable".
      const unobserved = spec.kinds.flatMap((kind) =>
        spec.namespaces === undefined
          ? ctx.observing(`objects:${kind}`) ? [] : [kind]
          : spec.namespaces.filter((namespace) => !ctx.observing(`objects:${kind}:${namespace}`)).map((namespace) => `${kind} in ${namespace}`),
      );
      if (unobserved.length > 0) {
        return { verdict: spec.onNoData === "failed" ? "failed" : "inconclusive", message: `changes of ${unobserved.join(", ")} are not being recorded` };
      }
      let reference: number;
      try {
        reference = await ctx.reference(spec.since);
      } catch (error) {
        return { verdict: "inconclusive", message: `no reference moment: ${(error as Error).message}` };
      }
      const except = spec.except.map((name) => ctx.names.resolve(name));
      const end = reference + spec.duration;
      if (end > ctx.scenarioDeadline) {
        return { verdict: "failed", message: `the window ends ${formatDuration(end - ctx.scenarioDeadline)} after the scenario's timeout: raise spec.timeout` };
      }
      if (ctx.clock.now() < end) await ctx.clock.sleep(end - ctx.clock.now(), ctx.signal).catch(() => undefined);
      if (ctx.clock.now() < end) return { verdict: "failed", message: `the run ended at +${formatDuration(ctx.clock.now() - reference)}, before the ${formatDuration(spec.duration)} window closed` };
      const changes = ctx.timeline
        .ofKind("object")
        .filter(
          (entry) =>
            entry.at >= reference &&
            entry.at <= end &&
            entry.change !== "modified" &&
            (spec.kinds as readonly string[]).includes(entry.objectKind) &&
            (spec.namespaces === undefined || spec.namespaces.includes(entry.namespace)) &&
            !isExcepted(entry.name, except) &&
            (!spec.thisRun || isExcepted(entry.name, ctx.names.created())),
        );
      if (changes.length > 0) {
        const listed = changes.slice(0, 5).map((entry) => `${entry.objectKind} ${entry.namespace}/${entry.name} ${entry.change} at +${formatDuration(entry.at - reference)}`);
        return { verdict: "failed", message: `${changes.length} change(s) in the window: ${listed.join("; ")}${changes.length > 5 ? "; ..." : ""}`, evidence: { changes } };
      }
      return { verdict: "passed", message: `no ${spec.kinds.join("/")} changed in [+0s, +${formatDuration(spec.duration)}]${spec.except.length ? ` except ${spec.except.join(", ")}` : ""}` };
    },
  }),
});
