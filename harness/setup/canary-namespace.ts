/**
 * A canary in its own namespace (`canary: {ownNamespace: true}`): the manifests' Rollout, Services,
 * AnalysisTemplate and aggregator have fixed names, so two canaries in `streamforge` would delete each
 * other's objects and had to run alone. In a namespace named after the run they cannot meet, and the
 * canary may share the lab (setup scope `run`).
 *
 * Everything that names the namespace follows it: every object's metadata.namespace, RoleBinding
 * subjects (the aggregator's ServiceAccount), the Rollout's canary-stats-url cluster DNS name (what an
 * in-cluster Argo controller dials on kind/existing; the sim overrides it with a host URL). How this
 * machine reaches the moved Services apart from the originals is the lab's business
 * (`ServiceAccess.applyCopies`, which the canary applies them through).
 */
import type { KubeObject } from "../core/ports.ts";
import type { RevertContext } from "../core/context.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import type { SetupContext } from "./setup-action.ts";

export const CANARY_STATS_URL_ANNOTATION = "chaoslab.streamforge.io/canary-stats-url";

/** DNS-1123 label: what Kubernetes accepts as a namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** How long teardown waits for the namespace controller to empty and remove the run's namespace. */
const NAMESPACE_GONE_WITHIN_MS = 120_000;

/**
 * The run's own namespace: `<base>-canary-<run suffix>` (`streamforge-canary-3fa2c1`), the suffix the
 * run's other objects carry (core/run-names.ts). The base is shortened, never the suffix, to fit 63.
 */
export function canaryNamespaceName(base: string, runSuffix: string): string {
  const suffix = runSuffix.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (suffix === "") throw new Error(`run suffix ${JSON.stringify(runSuffix)} has no character a namespace may carry`);
  const tail = `-canary-${suffix}`.slice(0, 62);
  const head = base.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+/, "").slice(0, 63 - tail.length).replace(/-+$/, "");
  const name = `${head || "chaoslab"}${tail}`.slice(0, 63);
  if (!DNS_LABEL.test(name)) throw new Error(`derived namespace ${name} is not a DNS-1123 label`);
  return name;
}

/**
 * `http://svc.<from>.svc.cluster.local:8080` → `http://svc.<to>.svc.cluster.local:8080`: a Service's
 * cluster DNS name moved to another namespace. Other URLs (a host URL, an IP) are returned unchanged.
 */
export function retargetServiceUrl(url: string, from: string, to: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/:?#]+)/i, (_whole, scheme: string, host: string) => {
    const labels = host.split(".");
    if (labels.length >= 2 && labels[1] === from && (labels.length === 2 || labels[2] === "svc")) labels[1] = to;
    return `${scheme}${labels.join(".")}`;
  });
}

/** Kinds without a namespace: a fixed name of one of these would be shared by every run again. */
const CLUSTER_SCOPED_KINDS = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass", "ClusterAnalysisTemplate"]);

/**
 * The manifests moved into namespace `to`: each object's namespace (its own, else `from`) replaced, its
 * RoleBinding subjects and canary-stats-url following. The input is left untouched.
 */
export function isolateManifests(objects: readonly KubeObject[], options: { from: string; to: string }): KubeObject[] {
  return objects.map((original) => {
    if (CLUSTER_SCOPED_KINDS.has(original.kind)) {
      throw new Error(`${original.kind}/${original.metadata.name} has no namespace: in a canary's own namespace it would still be shared with every other run; remove it from the manifests`);
    }
    const from = original.metadata.namespace ?? options.from;
    const object = structuredClone(original);
    object.metadata.namespace = options.to;
    const subjects = (object as { subjects?: { kind: string; namespace?: string }[] }).subjects;
    for (const subject of subjects ?? []) if (subject.kind === "ServiceAccount" && (subject.namespace ?? from) === from) subject.namespace = options.to;
    const annotations = object.metadata.annotations;
    const statsUrl = annotations?.[CANARY_STATS_URL_ANNOTATION];
    if (annotations && statsUrl !== undefined) annotations[CANARY_STATS_URL_ANNOTATION] = retargetServiceUrl(statsUrl, from, options.to);
    return object;
  });
}

/**
 * Creates the run's namespace, labelled with the run (the journal entry to delete it is written first,
 * so `chaoslab cleanup` removes it after a crash), and waits for its `default` ServiceAccount: pods
 * created before it exists are refused and retried with back-off, which would slow revision N down.
 */
export async function createOwnNamespace(ctx: SetupContext<{ namespace: { name: string; runId: string } }>, name: string): Promise<void> {
  const runId = ctx.runLabels[RUN_ID_LABEL]!;
  await ctx.journal.record({ namespace: { name, runId } }, `delete namespace ${name} (the canary's own)`);
  // create, not apply: a namespace of that name that is not this run's must stop the setup, not be adopted.
  await ctx.kube.create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { ...ctx.runLabels } } });
  const until = ctx.clock.now() + 15_000;
  while (!(await ctx.kube.get({ apiVersion: "v1", kind: "ServiceAccount", namespace: name, name: "default" }))) {
    if (ctx.clock.now() > until || ctx.signal.aborted) {
      ctx.log.warn(`namespace ${name}: no default ServiceAccount after 15 s; its pods may start late`);
      return;
    }
    await ctx.clock.sleep(250, ctx.signal);
  }
}

/**
 * Deletes the run's namespace and waits until it is gone, so nothing of the run is left when teardown
 * ends. Only a namespace that carries this run's label: a name collision must never take another's.
 */
export async function deleteOwnNamespace(action: { name: string; runId: string }, ctx: RevertContext): Promise<void> {
  const ref = { apiVersion: "v1", kind: "Namespace", name: action.name };
  const current = await ctx.kube.get(ref);
  if (!current) return;
  if (current.metadata.labels?.[RUN_ID_LABEL] !== action.runId) {
    ctx.log.warn(`not deleting namespace ${action.name}: it belongs to run ${current.metadata.labels?.[RUN_ID_LABEL] ?? "none"}, not ${action.runId}`);
    return;
  }
  if (!current.metadata.deletionTimestamp) await ctx.kube.delete(ref, { uid: current.metadata.uid, propagationPolicy: "Background" });
  const deadline = ctx.clock.now() + NAMESPACE_GONE_WITHIN_MS;
  // Not on ctx.signal: an interrupted run still waits for its namespace (a second signal exits at once).
  while (await ctx.kube.get(ref)) {
    if (ctx.clock.now() > deadline) throw new Error(`namespace ${action.name} is still terminating after ${NAMESPACE_GONE_WITHIN_MS / 1000} s (kubectl get all -n ${action.name}); run \`chaoslab cleanup\` to retry`);
    await ctx.clock.sleep(500);
  }
}
