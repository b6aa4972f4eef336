/**
 * `canary`: prepare and start one canary release of a Rollout (shared/specs/canary.md, "Setup"):
 *
 *   - canary:
 *       manifests: ../workloads/queue-manager/manifests     # Rollout, Services, AnalysisTemplate, aggregator
 *       load: {script: ../workloads/queue-manager/load/canary.ts, service: queue-manager, rate: 40}
 *       release: {image: chaoslab/queue-manager:v2-bad}    # or {env: {ERROR_RATE: "0.5"}}
 *       ownNamespace: true                                  # deploy into streamforge-canary-<run>
 *
 * 0. with `ownNamespace`, creates the run's own namespace and moves every manifest into it
 *    (canary-namespace.ts); the rollout probe finds the Rollout there through what step 2 records;
 * 1. applies the manifests (labelled with the run; deleted at teardown) and, where the lab says Argo's
 *    controller needs another URL for the aggregator Service (`services.controllerUrl`: a host URL when
 *    the controller is a host process), points the Rollout's canary-stats-url annotation at it;
 * 2. waits for revision N to be Healthy (analysis is skipped on a first deploy) and records its stable
 *    hash as the rollout probe's baseline (rollout-baseline.ts);
 * 3. starts k6 with the load script against the Service, in the background until teardown; its
 *    threshold summary goes to the timeline (and so to the report) when the scenario ends;
 * 4. changes the pod template (image or env): revision N+1. This is the last thing setup does, so the
 *    expectations' reference `faults` (the end of setup, with no faults and no steady state) is the
 *    moment of the change: `rollout: {expect: rolled-back, within: 50s}` times from it.
 *
 * The Rollout's name is fixed by the manifests: two canary runs in one namespace would fight over it, so
 * a Rollout that exists and is not this run's stops the setup (broken) instead of being taken over. In
 * its own namespace a canary meets no other, so it may share the lab (scope `run`; else `lab`).
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { defineSetupAction, type SetupContext } from "./setup-action.ts";
import { duration } from "../core/duration-field.ts";
import type { KubeObject } from "../core/ports.ts";
import type { RevertContext } from "../core/context.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import { labRolloutReader } from "../probes/rollout/rollout-snapshot.ts";
import { rolloutIs, waitForRollout } from "../probes/rollout/wait-for-rollout.ts";
import { summarizeRollout } from "../probes/rollout/rollout-summary.ts";
import { recordRolloutBaseline, recordRolloutNamespace } from "../probes/rollout/rollout-baseline.ts";
import {
  CANARY_STATS_URL_ANNOTATION,
  canaryNamespaceName,
  createOwnNamespace,
  deleteOwnNamespace,
  isolateManifests,
} from "./canary-namespace.ts";
import { UnsupportedCapabilityError } from "../../cluster/provider.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

const release = z
  .object({
    image: z.string().min(1).optional().meta({ description: "New image of the first container, e.g. chaoslab/queue-manager:v2-bad." }),
    env: z.record(z.string(), z.string()).optional().meta({ description: "Env to set on the first container, e.g. {ERROR_RATE: \"0.5\"}." }),
  })
  .strict()
  .refine((value) => value.image !== undefined || value.env !== undefined, { error: "release: give image and/or env (a pod-template change; `restart` is not a new revision)" });

const params = z
  .object({
    manifests: z.string().min(1).meta({ description: "Directory (or file) of YAML manifests, relative to the scenario file." }),
    namespace: z.string().min(1).default(STREAMFORGE_NAMESPACE).meta({ description: "Namespace of the manifests' objects (where they lack one); with ownNamespace, the base of the run's namespace name." }),
    ownNamespace: z
      .boolean()
      .default(false)
      .meta({ description: "Deploy into a namespace of this run's own (<namespace>-canary-<run suffix>), created here and deleted at teardown: canaries then share the lab." }),
    rollout: z.string().min(1).default("queue-manager"),
    healthyWithin: duration({ min: 1, description: "How long revision N may take to be Healthy. Default 3m." }).optional(),
    statsService: z.string().min(1).default("queue-manager-metrics").meta({ description: "Service of the canary-stats aggregator; the lab's controller URL for it becomes the Rollout's canary-stats-url." }),
    statsUrl: z.url().optional().meta({ description: "Use this canary-stats-url instead (e.g. an unreachable one, to show an Error analysis is not a rollback)." }),
    load: z
      .object({
        script: z.string().min(1).meta({ description: "k6 script, relative to the scenario file." }),
        service: z.string().min(1).default("queue-manager"),
        rate: z.number().positive().default(40),
        duration: z.string().regex(/^\d+[smh]$/).default("5m").meta({ description: "k6's DURATION; teardown stops it earlier." }),
        versions: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .optional(),
    release,
  })
  .strict();

type Params = z.output<typeof params>;

const objectRef = z.object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string() }).strict();
const revertAction = z.union([
  z.object({ objects: z.array(objectRef), runId: z.string().optional() }).strict(),
  z.object({ k6: z.object({ pidFile: z.string() }).strict() }).strict(),
  z.object({ namespace: z.object({ name: z.string(), runId: z.string() }).strict() }).strict(),
]);
type RevertAction = z.infer<typeof revertAction>;

export async function readManifests(location: string): Promise<KubeObject[]> {
  const stat = await fs.stat(location);
  const files = stat.isDirectory()
    ? (await fs.readdir(location)).filter((file) => file.endsWith(".yaml") || file.endsWith(".yml")).sort().map((file) => path.join(location, file))
    : [location];
  return (
    await Promise.all(
      files.map(async (file) =>
        YAML.parseAllDocuments(await fs.readFile(file, "utf8")).flatMap((document, index) => {
          if (document.errors.length > 0) throw new Error(`${file}: document ${index + 1}: ${document.errors[0]!.message}`);
          const object = document.toJS() as KubeObject | null;
          return object ? [object] : [];
        }),
      ),
    )
  ).flat();
}

interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
}

function containersOf(rollout: KubeObject): Container[] {
  return (rollout as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers;
}

/** Revision N+1: the same Rollout with the first container's image and/or env changed. */
export function releasedRollout(rollout: KubeObject, change: Params["release"]): KubeObject {
  const copy = structuredClone(rollout);
  const container = containersOf(copy)[0];
  if (!container) throw new Error(`Rollout ${rollout.metadata.name}: expected a container in spec.template.spec.containers, found none`);
  if (change.image !== undefined) container.image = change.image;
  for (const [name, value] of Object.entries(change.env ?? {})) {
    const env = (container.env ??= []);
    const existing = env.find((variable) => variable.name === name);
    if (existing) {
      existing.value = value;
      delete existing.valueFrom;
    } else env.push({ name, value });
  }
  return copy;
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGINT (k6 then writes its end-of-test summary), SIGKILL after 20 s. Only a process that is k6. */
async function stopK6(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(pidFile, "utf8")).trim());
  } catch {
    return;
  }
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!(pid > 0) || !cmdline.includes("k6")) return;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 20_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

interface K6Summary {
  metrics: Record<string, { thresholds?: Record<string, { ok: boolean }>; values: Record<string, number> }>;
}

/** k6's threshold verdicts and per-version counts, one line each, from its JSON summary. */
export function k6ThresholdLines(summary: K6Summary): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  for (const [metric, { thresholds, values }] of Object.entries(summary.metrics)) {
    for (const [threshold, result] of Object.entries(thresholds ?? {})) {
      if (threshold === "count>=0") continue;
      ok &&= result.ok;
      const value = metric === "http_req_failed" ? `rate ${values.rate}` : metric === "http_req_duration" ? `p(95) ${values["p(95)"]?.toFixed(1)} ms` : "";
      lines.push(`${result.ok ? "ok" : "FAILED"} ${metric}: ${threshold}${value ? ` (${value})` : ""}`);
    }
  }
  for (const [metric, { values }] of Object.entries(summary.metrics)) {
    if (metric.startsWith("queue_manager_") && metric.includes("{")) lines.push(`${metric} = ${values.count ?? 0}`);
  }
  const requests = summary.metrics.http_reqs?.values.count;
  if (requests !== undefined) lines.unshift(`${requests} requests`);
  return { ok, lines };
}

async function startLoad(spec: NonNullable<Params["load"]>, namespace: string, ctx: SetupContext<RevertAction>): Promise<void> {
  const binary = await ctx.lab.tools.k6({ log: (line) => ctx.log.info(line) });
  const url = await ctx.lab.services.hostUrl(namespace, spec.service, { ready: true, timeoutMs: 30_000, signal: ctx.signal });
  const dir = ctx.artifactsDir;
  await fs.mkdir(dir, { recursive: true });
  const base = path.join(dir, `${ctx.scenario}-${ctx.runId}`);
  const pidFile = `${base}.pid`;
  await ctx.journal.record({ k6: { pidFile } }, `stop k6 (${pidFile})`);
  const out = await fs.open(`${base}.log`, "a");
  const child = spawn(
    binary,
    [
      "run",
      "--no-usage-report",
      ...["BASE_URL", url, "RATE", String(spec.rate), "DURATION", spec.duration, "VERSIONS", spec.versions.join(","), "SUMMARY_PATH", `${base}.json`].flatMap((value, index, all) =>
        index % 2 === 0 ? ["-e", `${value}=${all[index + 1]}`] : [],
      ),
      path.resolve(ctx.scenarioDir, spec.script),
    ],
    { detached: true, stdio: ["ignore", out.fd, out.fd] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`cannot start k6 (${binary}): ${error.message}`)));
    child.once("spawn", () => resolve());
  });
  await out.close();
  child.unref();
  await fs.writeFile(pidFile, String(child.pid));
  ctx.timeline.record({ kind: "note", level: "info", message: `k6 started (pid ${child.pid}): ${spec.rate} req/s against ${url} (${namespace}/${spec.service}); log ${base}.log` });
  // When the scenario ends (after teardown stopped k6): put its thresholds in the timeline.
  await ctx.shared.get(`k6:${base}`, () => ({
    close: async () => {
      await stopK6(pidFile);
      await fs.rm(pidFile, { force: true });
      const text = await fs.readFile(`${base}.json`, "utf8").catch(() => undefined);
      if (text === undefined) {
        ctx.timeline.record({ kind: "note", level: "warning", message: `k6 wrote no summary (${base}.json); see ${base}.log` });
        return;
      }
      const { ok, lines } = k6ThresholdLines(JSON.parse(text) as K6Summary);
      ctx.timeline.record({ kind: "note", level: ok ? "info" : "warning", message: `k6 thresholds ${ok ? "held" : "FAILED"} (summary ${base}.json): ${lines.join("; ")}` });
    },
  }));
}

/** Outside its own namespace: a Rollout of the same name that is not this run's stops the setup. */
async function refuseForeignRollout(spec: Params, ctx: SetupContext<RevertAction>): Promise<void> {
  const ref = { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace: spec.namespace, name: spec.rollout };
  const existing = await ctx.kube.get(ref);
  if (existing && !existing.metadata.deletionTimestamp) {
    const owner = existing.metadata.labels?.[RUN_ID_LABEL];
    throw new Error(
      `Rollout ${spec.namespace}/${spec.rollout} already exists (${owner ? `run ${owner}` : "not created by a scenario"}): canary scenarios need it to themselves (or ownNamespace: true). ` +
        (owner ? "Wait for that run, or `chaoslab cleanup` after a crash." : `Delete it first (kubectl delete rollout -n ${spec.namespace} ${spec.rollout}).`),
    );
  }
  if (existing) {
    const deadline = ctx.clock.now() + 60_000;
    while ((await ctx.kube.get(ref)) && ctx.clock.now() < deadline) await sleep(500, ctx.signal);
  }
}

/**
 * Reads the manifests, places them (the run's namespace, or as written), journals and applies all but
 * the Rollout, which the caller applies once its canary-stats-url is known.
 */
async function applyManifests(spec: Params, namespace: string, ctx: SetupContext<RevertAction>): Promise<{ count: number; rollout: KubeObject }> {
  const read = (await readManifests(path.resolve(ctx.scenarioDir, spec.manifests))).map((object) => ({ ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...ctx.runLabels } } }));
  const apply = async (objects: KubeObject[]) => {
    const rollout = objects.find((object) => object.kind === "Rollout" && object.metadata.name === spec.rollout);
    if (!rollout) throw new Error(`${spec.manifests}: expected Rollout ${spec.rollout}, found ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(", ")}`);
    await ctx.journal.record(
      { objects: objects.map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, namespace: metadata.namespace, name: metadata.name })), runId: ctx.runLabels[RUN_ID_LABEL] },
      `delete the ${objects.length} object(s) of ${spec.manifests}`,
    );
    for (const object of objects) if (object !== rollout) await ctx.kube.apply(object);
    return { count: objects.length, rollout };
  };
  if (!spec.ownNamespace) return apply(read.map((object) => ({ ...object, metadata: { ...object.metadata, namespace: object.metadata.namespace ?? spec.namespace } })));
  // Copies of the manifests beside the originals: the lab places their Services so each stays reachable.
  return ctx.lab.services.applyCopies(isolateManifests(read, { from: spec.namespace, to: namespace }), ctx.names.suffix, apply);
}

export const canarySetup = defineSetupAction({
  kind: "canary",
  summary: "Deploy a Rollout at revision N (manifests), wait until Healthy, start k6 load, then release revision N+1 (image/env change).",
  // The Rollout, its Services and AnalysisTemplate have fixed names: two canaries in one namespace would
  // delete each other's objects, so only a canary in its own namespace may share the lab.
  scope: (spec) => (spec.ownNamespace ? "run" : "lab"),
  params,
  revertAction,
  create: (spec) => ({
    describe: () =>
      `canary of Rollout ${spec.ownNamespace ? `${spec.rollout} in the run's own namespace (${spec.namespace}-canary-<run>)` : `${spec.namespace}/${spec.rollout}`}: ${spec.manifests}, release ${spec.release.image ?? ""}${spec.release.env ? ` env ${JSON.stringify(spec.release.env)}` : ""}${spec.load ? `, k6 ${spec.load.rate} req/s` : ""}`,
    async run(ctx) {
      if (!ctx.description.features.argoRollouts) {
        throw new UnsupportedCapabilityError("Argo Rollouts is not installed (or not running) in this cluster, so a canary cannot be released here; install it to run this scenario");
      }
      // The one place the run's namespace is decided; the rollout probe reads it from here.
      const namespace = spec.ownNamespace ? canaryNamespaceName(spec.namespace, ctx.names.suffix) : spec.namespace;
      await recordRolloutNamespace(ctx.shared, spec.rollout, namespace);
      if (spec.ownNamespace) await createOwnNamespace(ctx, namespace);
      else await refuseForeignRollout(spec, ctx);
      const { count, rollout } = await applyManifests(spec, namespace, ctx);

      // The analysis runs inside Argo's controller: the lab says how it reaches the aggregator (on the
      // sim a host URL; in a real cluster the manifests' cluster DNS name, moved with the namespace).
      const statsUrl = spec.statsUrl ?? (await ctx.lab.services.controllerUrl(namespace, spec.statsService, { timeoutMs: 15_000, signal: ctx.signal }));
      if (statsUrl) rollout.metadata.annotations = { ...rollout.metadata.annotations, [CANARY_STATS_URL_ANNOTATION]: statsUrl };
      await ctx.kube.apply(rollout);
      ctx.timeline.record({ kind: "note", level: "info", message: `applied ${count} object(s) of ${spec.manifests} in ${namespace}; ${CANARY_STATS_URL_ANNOTATION}=${rollout.metadata.annotations?.[CANARY_STATS_URL_ANNOTATION]}` });

      // Revision N Healthy, and the aggregator answering, before anything changes.
      const reader = labRolloutReader(ctx.kube, ctx.lab.services);
      const healthyWithin = spec.healthyWithin ?? 180_000;
      const healthy = await waitForRollout(reader, { namespace, name: spec.rollout }, rolloutIs.healthyOnOneRevision(), { timeoutMs: healthyWithin, signal: ctx.signal });
      if (!healthy.met) {
        const summary = healthy.snapshot && summarizeRollout(healthy.snapshot.rollout);
        const last = summary ? `${summary.phase}${summary.message ? ` (${summary.message})` : ""}, ${summary.replicas.available}/${summary.replicas.desired} available` : (healthy.lastError?.message ?? "not read");
        throw new Error(`Rollout ${namespace}/${spec.rollout} was not Healthy at revision N within ${healthyWithin / 1000} s: ${last}`);
      }
      const stableHash = summarizeRollout(healthy.snapshot.rollout).stableHash;
      if (!spec.statsUrl) {
        // From here, through the lab's host path to the aggregator: the controller's path may be in-cluster only.
        const aggregatorUrl = await ctx.lab.services.hostUrl(namespace, spec.statsService, { ready: true, timeoutMs: 30_000, signal: ctx.signal });
        const until = ctx.clock.now() + 30_000;
        while (!(await fetch(`${aggregatorUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.ok, () => false))) {
          if (ctx.clock.now() > until || ctx.signal.aborted) throw new Error(`the canary-stats aggregator does not answer at ${aggregatorUrl}/healthz (Service ${namespace}/${spec.statsService})`);
          await sleep(500, ctx.signal);
        }
      }
      ctx.timeline.record({ kind: "note", level: "info", message: `Rollout ${namespace}/${spec.rollout} Healthy at revision N, stable ${stableHash}` });

      if (spec.load) await startLoad(spec.load, namespace, ctx);

      const next = releasedRollout(rollout, spec.release);
      const appliedAt = new Date(ctx.clock.now()).toISOString();
      await recordRolloutBaseline(ctx.shared, namespace, spec.rollout, { stableHash, updateAppliedAt: appliedAt });
      await ctx.kube.apply(next);
      ctx.timeline.record({
        kind: "note",
        level: "info",
        message: `revision N+1 of Rollout ${namespace}/${spec.rollout} applied: ${spec.release.image ? `image ${spec.release.image}` : ""}${spec.release.env ? ` env ${JSON.stringify(spec.release.env)}` : ""} (stable ${stableHash})`,
      });
    },
  }),
  async revert(action: RevertAction, ctx: RevertContext) {
    if ("k6" in action) {
      await stopK6(action.k6.pidFile);
      return;
    }
    if ("namespace" in action) {
      await deleteOwnNamespace(action.namespace, ctx);
      return;
    }
    // By name, but only what still carries this run's label (and by UID): the names are fixed, so
    // another run's objects of the same name must never go with ours.
    for (const object of [...action.objects].reverse()) {
      const current = await ctx.kube.get(object);
      if (!current) continue;
      if (action.runId !== undefined && current.metadata.labels?.[RUN_ID_LABEL] !== action.runId) {
        ctx.log.warn(`not deleting ${object.kind} ${object.namespace}/${object.name}: it belongs to run ${current.metadata.labels?.[RUN_ID_LABEL] ?? "none"}, not ${action.runId}`);
        continue;
      }
      await ctx.kube.delete(object, { uid: current.metadata.uid, propagationPolicy: "Background" });
    }
  },
});
