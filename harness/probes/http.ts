/**
 * `http`: an HTTP endpoint answers with an expected status (and optionally body text), in time.
 *
 *   http: {service: streamforge/queue-manager, path: /healthz, status: 200}
 *
 * `service` (`<namespace>/<name>`) is resolved by the lab (`StartedLab.services.hostUrl`), so scenarios
 * never hard-code a port or a provider. A connection error or timeout is "not holding" (the endpoint is down), not no-data.
 */
import { z } from "zod";
import { defineProbe } from "./probe.ts";
import { duration } from "../core/duration-field.ts";

export const httpProbe = defineProbe({
  kind: "http",
  summary: "An HTTP endpoint answers with the expected status (and body text).",
  params: z
    .object({
      url: z.url().optional().meta({ description: "Absolute URL; or use service + path." }),
      service: z.string().regex(/^[^/]+\/[^/]+$/, { error: "service is <namespace>/<name>" }).optional(),
      path: z.string().startsWith("/").default("/"),
      method: z.enum(["GET", "HEAD", "POST"]).default("GET"),
      status: z.number().int().min(100).max(599).default(200),
      bodyContains: z.string().optional(),
      timeout: duration({ description: "Per-request timeout. Default 2s." }).optional(),
    })
    .strict(),
  check(value, ctx) {
    if ((value.url === undefined) === (value.service === undefined)) ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url or service" });
  },
  create: (spec) => ({
    describe: () => `${spec.method} ${spec.url ?? `${spec.service}${spec.path}`} → ${spec.status}`,
    async sample(ctx) {
      let url = spec.url;
      if (!url) {
        let base: string;
        try {
          const [namespace, name] = splitServiceKey(spec.service!);
          base = await ctx.services.hostUrl(namespace, name, { timeoutMs: 2_000 });
        } catch (error) {
          return { outcome: "no-data", detail: `service ${spec.service}: ${(error as Error).message}` };
        }
        // Appended, not resolved: a base URL may carry a path (the API server's service proxy).
        url = `${base}${spec.path.startsWith("/") ? "" : "/"}${spec.path}`;
      }
      const started = ctx.clock.now();
      try {
        const response = await fetch(url, { method: spec.method, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(spec.timeout ?? 2_000)]) });
        const body = spec.bodyContains !== undefined ? await response.text() : (await response.arrayBuffer(), "");
        const elapsedMs = ctx.clock.now() - started;
        const statusOk = response.status === spec.status;
        const bodyOk = spec.bodyContains === undefined || body.includes(spec.bodyContains);
        return {
          outcome: statusOk && bodyOk ? "ok" : "not-ok",
          value: { status: response.status, elapsedMs },
          detail: `${response.status}${bodyOk ? "" : `, body lacks ${JSON.stringify(spec.bodyContains)}`} in ${elapsedMs}ms`,
        };
      } catch (error) {
        return { outcome: "not-ok", detail: `${url}: ${(error as Error).message}` };
      }
    },
  }),
});

/** `service` is validated as `<namespace>/<name>` by the schema above. */
function splitServiceKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}
