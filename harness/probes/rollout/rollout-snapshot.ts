/**
 * One consistent-enough read of everything a Rollout verdict rests on: the Rollout, the AnalysisRuns
 * and ReplicaSets it owns, the pods it selects, and the EndpointSlices behind its Services. Snapshots
 * are plain JSON (timestamps as strings) so that the same pure judges run on live reads and on
 * recorded fixtures, and a snapshot can be attached to a report as-is.
 */
import type { ServiceAccess } from "../../../cluster/provider.ts";
import type { KubeReader } from "../../core/ports.ts";
import type { AnalysisRun, EndpointSlice, Pod, ReplicaSet, Rollout } from "./argo-rollouts-types.ts";
import { POD_TEMPLATE_HASH_LABEL, ROLLOUT_TYPE_LABEL } from "./argo-rollouts-types.ts";

export interface RolloutSnapshot {
  /** Harness clock, ISO 8601. */
  collectedAt: string;
  rollout: Rollout;
  /** AnalysisRuns whose controller owner is the Rollout (Argo's getAnalysisRunsForRollout). */
  analysisRuns: AnalysisRun[];
  /** ReplicaSets whose controller owner is the Rollout. */
  replicaSets: ReplicaSet[];
  /** Pods matching the Rollout's selector. */
  pods: Pod[];
  /** EndpointSlices per Service name: the canary and stable Services plus any asked for. */
  endpointSlices: Record<string, EndpointSlice[]>;
}

/** The reads a snapshot needs; `kubernetesRolloutReader` is the real one, tests pass fakes. */
export interface RolloutReader {
  getRollout(namespace: string, name: string): Promise<Rollout>;
  listAnalysisRuns(namespace: string): Promise<AnalysisRun[]>;
  listReplicaSets(namespace: string, labelSelector: string): Promise<ReplicaSet[]>;
  listPods(namespace: string, labelSelector: string): Promise<Pod[]>;
  listEndpointSlices(namespace: string, serviceName: string): Promise<EndpointSlice[]>;
}

export interface RolloutTarget {
  namespace: string;
  name: string;
  /** Services whose endpoints to record besides the Rollout's canary/stable Services, e.g. `queue-manager`. */
  services?: string[];
}

function ownedBy(uid: string | undefined) {
  return (object: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } }) =>
    uid !== undefined && (object.metadata.ownerReferences ?? []).some((owner) => owner.controller === true && owner.uid === uid);
}

export function labelSelectorOf(rollout: Rollout): string {
  const matchLabels = rollout.spec.selector?.matchLabels ?? {};
  const selector = Object.entries(matchLabels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  if (!selector) {
    throw new Error(`Rollout ${rollout.metadata.namespace}/${rollout.metadata.name}: expected spec.selector.matchLabels, found none`);
  }
  return selector;
}

export async function collectRolloutSnapshot(reader: RolloutReader, target: RolloutTarget, now: () => Date = () => new Date()): Promise<RolloutSnapshot> {
  const rollout = await reader.getRollout(target.namespace, target.name);
  const selector = labelSelectorOf(rollout);
  const canary = rollout.spec.strategy.canary;
  const services = [...new Set([...(target.services ?? []), canary?.stableService, canary?.canaryService].filter((name): name is string => Boolean(name)))];
  const isOwned = ownedBy(rollout.metadata.uid);
  const [analysisRuns, replicaSets, pods, slices] = await Promise.all([
    reader.listAnalysisRuns(target.namespace),
    reader.listReplicaSets(target.namespace, selector),
    reader.listPods(target.namespace, selector),
    Promise.all(services.map(async (service) => [service, await reader.listEndpointSlices(target.namespace, service)] as const)),
  ]);
  return {
    collectedAt: now().toISOString(),
    rollout,
    analysisRuns: analysisRuns.filter(isOwned),
    replicaSets: replicaSets.filter(isOwned),
    pods,
    endpointSlices: Object.fromEntries(slices),
  };
}

export interface FoundAnalysisRun {
  run: AnalysisRun;
  /** `status`: named in the Rollout's currentStepAnalysisRunStatus; `labels`: the latest Step run of the hash. */
  foundBy: "status" | "labels";
}

/**
 * The step AnalysisRun of the given pod-template hash. While a canary is in flight (and after an
 * abort) the Rollout names it in `status.canary.currentStepAnalysisRunStatus`; once the step completes
 * Argo clears that field, so the run is then found by its labels.
 */
export function findStepAnalysisRun(snapshot: RolloutSnapshot, podTemplateHash: string): FoundAnalysisRun | undefined {
  const named = snapshot.rollout.status?.canary?.currentStepAnalysisRunStatus?.name;
  const byName = named === undefined ? undefined : snapshot.analysisRuns.find((run) => run.metadata.name === named);
  if (byName && byName.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === podTemplateHash) return { run: byName, foundBy: "status" };
  const candidates = snapshot.analysisRuns
    .filter((run) => run.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === podTemplateHash && run.metadata.labels?.[ROLLOUT_TYPE_LABEL] === "Step")
    .sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? "") - Date.parse(b.metadata.creationTimestamp ?? ""));
  const latest = candidates.at(-1);
  return latest ? { run: latest, foundBy: "labels" } : undefined;
}

/** Plain JSON, as recorded fixtures hold it: the typed client hands back Dates for timestamps. */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const ARGO = "argoproj.io/v1alpha1";

/** The snapshot's reads through the harness's Kubernetes port (`ctx.kube`). */
export function kubeReaderRolloutReader(kube: KubeReader): RolloutReader {
  return {
    async getRollout(namespace, name) {
      const rollout = await kube.get({ apiVersion: ARGO, kind: "Rollout", namespace, name });
      if (!rollout) throw new Error(`Rollout ${namespace}/${name} not found: apply workloads/queue-manager/manifests first`);
      return plain<Rollout>(rollout);
    },
    async listAnalysisRuns(namespace) {
      return plain<AnalysisRun[]>(await kube.list({ apiVersion: ARGO, kind: "AnalysisRun", namespace }));
    },
    async listReplicaSets(namespace, labelSelector) {
      return plain<ReplicaSet[]>(await kube.list({ apiVersion: "apps/v1", kind: "ReplicaSet", namespace, labelSelector }));
    },
    async listPods(namespace, labelSelector) {
      return plain<Pod[]>(await kube.list({ apiVersion: "v1", kind: "Pod", namespace, labelSelector }));
    },
    async listEndpointSlices(namespace, serviceName) {
      const labelSelector = `kubernetes.io/service-name=${serviceName}`;
      return plain<EndpointSlice[]>(await kube.list({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", namespace, labelSelector }));
    },
  };
}

/** The kube reader for Argo's objects, and the lab's own answer for which endpoints back a Service. */
export function labRolloutReader(kube: KubeReader, services: Pick<ServiceAccess, "endpointSlices">): RolloutReader {
  return { ...kubeReaderRolloutReader(kube), listEndpointSlices: (namespace, serviceName) => services.endpointSlices(namespace, serviceName) as Promise<EndpointSlice[]> };
}
