/**
 * `k8s.object`: a Kubernetes resource matches a partial object and/or has a condition.
 *
 *   k8s.object: {apiVersion: batch/v1, kind: Job, namespace: streamforge, selector: app=loader,
 *                condition: {type: Complete, status: "True"}, count: {min: 3}}
 *
 * No such object is "not holding" (the API answered); an unreachable API is "no data".
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";
import { describeMismatch, partialMatch } from "./partial-match.ts";
import type { KubeObject } from "../core/ports.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";

const params = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    namespace: z.string().min(1).optional(),
    name: z.string().min(1).optional().meta({ description: "One object by name; or use selector." }),
    selector: z.string().min(1).optional().meta({ description: "Label selector, e.g. app=loader." }),
    thisRun: z.boolean().default(false).meta({ description: "With selector: only objects this run created (its run-id label)." }),
    match: z.record(z.string(), z.unknown()).optional().meta({ description: "Partial object every selected object must match." }),
    condition: z
      .object({ type: z.string().min(1), status: z.enum(["True", "False", "Unknown"]).default("True"), reason: z.string().optional() })
      .strict()
      .optional(),
    count: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .strict()
      .optional()
      .meta({ description: "How many objects the selector must find. Default: at least 1." }),
  })
  .strict();

export const kubernetesObjectProbe = defineProbe({
  kind: "k8s.object",
  summary: "A Kubernetes resource matches a partial object and/or has a condition.",
  params,
  check(value, ctx) {
    if ((value.name === undefined) === (value.selector === undefined)) {
      ctx.addIssue({ code: "custom", path: ["name"], message: "give exactly one of name or selector" });
    }
  },
  create: (spec) => ({
    describe: () => `${spec.kind} ${spec.namespace ? `${spec.namespace}/` : ""}${spec.name ?? `-l ${spec.selector}`}`,
    async sample(ctx) {
      let objects: KubeObject[];
      try {
        if (spec.name) {
          const object = await ctx.kube.get({ apiVersion: spec.apiVersion, kind: spec.kind, namespace: spec.namespace, name: ctx.names.resolve(spec.name) });
          objects = object ? [object] : [];
        } else {
          const runScope = spec.thisRun && ctx.names.runId !== undefined ? `,${RUN_ID_LABEL}=${ctx.names.runId}` : "";
          objects = await ctx.kube.list({ apiVersion: spec.apiVersion, kind: spec.kind, namespace: spec.namespace, labelSelector: `${spec.selector}${runScope}` });
        }
      } catch (error) {
        return { outcome: "no-data", detail: `cannot read ${spec.kind}: ${(error as Error).message}` };
      }
      const min = spec.count?.min ?? 1;
      const max = spec.count?.max ?? Number.POSITIVE_INFINITY;
      if (objects.length < min || objects.length > max) {
        return { outcome: "not-ok", value: { count: objects.length }, detail: `found ${objects.length} ${spec.kind}(s), expected ${min}..${max === Infinity ? "∞" : max}` };
      }
      for (const object of objects) {
        const name = object.metadata.name;
        if (spec.match) {
          const mismatch = partialMatch(spec.match, object);
          if (mismatch) return { outcome: "not-ok", detail: `${spec.kind} ${name}: ${describeMismatch(mismatch)}` };
        }
        if (spec.condition) {
          const conditions = ((object.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined)?.conditions ?? []);
          const found = conditions.find((condition) => condition.type === spec.condition!.type);
          if (!found || found.status !== spec.condition.status || (spec.condition.reason !== undefined && found.reason !== spec.condition.reason)) {
            return {
              outcome: "not-ok",
              detail: `${spec.kind} ${name}: condition ${spec.condition.type} is ${found ? `${found.status}${found.reason ? ` (${found.reason})` : ""}` : "absent"}, expected ${spec.condition.status}${spec.condition.reason ? ` (${spec.condition.reason})` : ""}`,
            };
          }
        }
      }
      return { outcome: "ok", value: { count: objects.length }, detail: `${objects.length} ${spec.kind}(s) match` };
    },
  }),
});
