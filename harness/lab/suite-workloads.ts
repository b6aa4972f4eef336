/**
 * What the resilience suite needs running before its scenarios: the arango-connector
 * (workloads/manifests/arango-connector.yaml) and the healer (healer/manifests, rendered by the healer's
 * one deployment code, cluster/healer/deploy.ts) — the same manifests on every provider. On the sim their pods run as
 * local processes of the lab's own images (the process runtime).
 *
 * The healer's ConfigMap gets the suite's small timings (below): with the defaults (60 s grace, 30 s
 * breaker settle) a single healer scenario would take minutes. When the ConfigMap changes, a hash on the
 * pod template (set by renderHealerObjects) rolls the healer so it reads the new environment.
 */
import path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { DEFAULT_HEALER_NAME, renderHealerObjects } from "../../cluster/healer/deploy.ts";
import { REPO_ROOT } from "../../cluster/images.ts";
import { applyObjects, loadKubeConfig, rawRequest, readManifests } from "../../cluster/kube/apply.ts";
import type { LabDescription } from "../../cluster/provider.ts";
import type { KubeReader } from "../core/ports.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";
import { CHAOS_OPT_IN_LABEL } from "../core/safety.ts";

export const CONNECTOR = { name: "arango-connector", manifest: path.join(REPO_ROOT, "workloads", "manifests", "arango-connector.yaml") } as const;
export const HEALER = { name: DEFAULT_HEALER_NAME } as const;

/**
 * The suite's healer timings. Constraints the healer checks at start (healer/src/runtime/config.ts,
 * healer/src/state/thresholds.ts): canary timeout > interval; a per-Job silence threshold must exceed canary timeout +
 * the Job's heartbeat (scenarios use 1 s heartbeats and ≥ 8 s silence); ≥ 3 × heartbeat.
 */
export const SUITE_HEALER_CONFIG: Record<string, string> = {
  // Judged 5 s after a loader's pod is Ready, not 60 s: scenarios stall loaders ~10 s in.
  HEALER_GRACE_PERIOD: "5s",
  HEALER_CANARY_INTERVAL: "1s",
  // 4 s, not 3 s: on a busy 2-core machine a 3 s canary trips the breaker for nothing.
  HEALER_CANARY_TIMEOUT: "4s",
  // After a broker failure opened the breaker, healing resumes in seconds, not 30 s.
  HEALER_BREAKER_SETTLE_PERIOD: "5s",
  HEALER_RESTART_BACKOFF_BASE: "5s",
  HEALER_REPLACEMENT_POD_TIMEOUT: "30s",
  HEALER_OLD_POD_GRACE_SLACK: "5s",
};

export interface DeployOptions {
  /** Replicas of the healer (default: the manifest's). 0 deploys it scaled down (negative controls). */
  healerReplicas?: number;
  healerConfig?: Record<string, string>;
  log?: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Applies the connector and the healer (server-side apply: idempotent) and waits until both are available. */
export async function deploySuiteWorkloads(description: LabDescription, kube: KubeReader, options: DeployOptions = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  const config = loadKubeConfig(description.kubeconfig);
  // Opted in to chaos like the connector: the suite's scenarios delete the healer's own pods on purpose.
  const podLabels = { [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value };
  const healer = renderHealerObjects({ config: { ...SUITE_HEALER_CONFIG, ...options.healerConfig }, replicas: options.healerReplicas, podLabels });
  await applyObjects(config, [...(await readManifests(CONNECTOR.manifest)), ...healer]);
  const restarted = await replaceStaleNotReadyPods(kube, config, [CONNECTOR.name, HEALER.name]);
  if (restarted.length > 0) log(`[suite] deleted ${restarted.join(", ")}: running and containers ready, but marked NotReady (a node heartbeat blip); their Deployments recreate them`);
  const wanted = (healer.find((object) => object.kind === "Deployment") as k8s.V1Deployment).spec!.replicas ?? 1;
  log(`[suite] applied ${CONNECTOR.name} and ${HEALER.name} (${wanted} replica(s)) in ${STREAMFORGE_NAMESPACE}; waiting until they are available`);
  await waitForDeployments(kube, [
    { name: CONNECTOR.name, replicas: 1 },
    { name: HEALER.name, replicas: wanted },
  ], options.timeoutMs ?? 120_000, options.signal);
  log(`[suite] ${CONNECTOR.name} and ${HEALER.name} are available`);
}

/** Scales the healer (negative controls) and waits until exactly that many of its pods are ready. */
export async function scaleHealer(description: LabDescription, kube: KubeReader, replicas: number, timeoutMs = 120_000): Promise<void> {
  // A merge patch of the scale subresource: a server-side apply of `replicas` alone, under the field
  // manager that applied the whole Deployment, would drop every other field it owns.
  await rawRequest(
    loadKubeConfig(description.kubeconfig),
    "PATCH",
    `/apis/apps/v1/namespaces/${STREAMFORGE_NAMESPACE}/deployments/${HEALER.name}/scale`,
    { spec: { replicas } },
    "application/merge-patch+json",
  );
  await waitForDeployments(kube, [{ name: HEALER.name, replicas }], timeoutMs);
}

const POLL_MS = 500;

/**
 * On the sim, when kwok misses node heartbeats under load (2 busy cores), the node lifecycle controller
 * marks every pod `Ready=False`; nothing marks them Ready again, since no kubelet re-probes. A pod
 * that runs, whose containers are ready but which is not Ready, is such a leftover: deleting it lets its
 * Deployment start a fresh one. On kind a real kubelet re-probes, and no pod matches.
 */
async function replaceStaleNotReadyPods(kube: KubeReader, config: k8s.KubeConfig, deployments: string[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of deployments) {
    const deployment = await kube.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: STREAMFORGE_NAMESPACE, name });
    const matchLabels = (deployment?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
    const selector = Object.entries(matchLabels).map(([key, value]) => `${key}=${value}`).join(",");
    if (!selector) continue;
    for (const pod of await kube.list({ apiVersion: "v1", kind: "Pod", namespace: STREAMFORGE_NAMESPACE, labelSelector: selector })) {
      const status = pod.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
      const condition = (type: string) => status?.conditions?.find((entry) => entry.type === type)?.status;
      if (pod.metadata.deletionTimestamp || status?.phase !== "Running" || condition("ContainersReady") !== "True" || condition("Ready") !== "False") continue;
      await rawRequest(config, "DELETE", `/api/v1/namespaces/${STREAMFORGE_NAMESPACE}/pods/${pod.metadata.name}`, { preconditions: { uid: pod.metadata.uid } }).catch(() => undefined);
      deleted.push(`pod ${pod.metadata.name}`);
    }
  }
  return deleted;
}

async function waitForDeployments(kube: KubeReader, wanted: { name: string; replicas: number }[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const pending: string[] = [];
    for (const { name, replicas } of wanted) {
      const deployment = await kube.get({ apiVersion: "apps/v1", kind: "Deployment", namespace: STREAMFORGE_NAMESPACE, name });
      const status = (deployment?.status ?? {}) as { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
      const generation = deployment?.metadata.generation;
      const ready = status.readyReplicas ?? 0;
      const settled = status.observedGeneration === generation && (status.updatedReplicas ?? 0) === replicas && (status.replicas ?? 0) === replicas && ready === replicas;
      if (!deployment || !settled) pending.push(`${name}: ${ready}/${replicas} ready, ${status.updatedReplicas ?? 0} updated, ${status.replicas ?? 0} total`);
    }
    if (pending.length === 0) return;
    last = pending.join("; ");
    if (Date.now() >= deadline) {
      throw new Error(
        `the suite's workloads did not become available within ${timeoutMs / 1000} s (${last}); ` +
          `see \`kubectl -n ${STREAMFORGE_NAMESPACE} get pods\` and the pod logs (sim: .chaoslab/sim/pods/)`,
      );
    }
    if (signal?.aborted) throw new Error(`interrupted while waiting for the suite's workloads (${last})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
