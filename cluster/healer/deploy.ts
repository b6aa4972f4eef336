/**
 * The one way to deploy the healer from code: its own manifests (`healer/manifests/`, the same ones
 * `kubectl apply -k` uses) rendered with config overrides (`renderHealerObjects`) into namespace
 * `streamforge`. The scenario suite applies the rendered objects itself (harness/lab/suite-workloads.ts);
 * tests and the bench use `deployHealer`, which applies them through server-side apply and waits until
 * the healer really works: the Deployment rolled out, one replica holds the Lease and that replica is Ready (which, for the
 * leader, means it consumes `queue-events`: see /readyz).
 *
 *   const healer = await deployHealer(kubeConfig, { config: { HEALER_SILENCE_THRESHOLD: "5s" }, replicas: 2 });
 *   ...
 *   await healer.scale(1);      // or scaleHealer(kubeConfig, 1)
 *   await healer.remove();      // or removeHealer(kubeConfig)
 *
 * - `config` overrides keys of ConfigMap `healer-config` (env names, see healer/README.md); values are
 *   validated by the healer at start (a bad value crash-loops the pod: `deployHealer` then times out
 *   naming the pod and the tail of its log).
 * - A pod-template annotation carries a hash of the ConfigMap, so a different config rolls the pods
 *   (env from a ConfigMap is read at container start only).
 * - `name` (default `healer`) deploys an independent instance: every object, the Lease, the consumer
 *   group and the Kafka client id carry that name, and an `app.kubernetes.io/instance` label keeps its
 *   selectors apart. Tests use it (with their own `HEALER_MANAGED_SELECTOR`) so they never share a
 *   healer with the scenario suite on a shared lab.
 * - `faultPoint` sets HEALER_FAULT_POINT (crash-safety tests only).
 *
 * Needs the namespace and ConfigMap `streamforge-kafka` (key `instruments`), which the lab creates.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type * as k8s from "@kubernetes/client-node";
import { REPO_ROOT } from "../images.ts";
import { apiErrorCode, apiErrorMessage, applyObjects, parseManifests, rawRequest } from "../kube/apply.ts";
import type { FaultPoint } from "../../healer/src/runtime/config.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

export const DEFAULT_HEALER_NAME = "healer";
export const HEALER_MANIFESTS_DIR = path.join(REPO_ROOT, "healer", "manifests");
const INSTANCE_LABEL = "app.kubernetes.io/instance";
const CONFIG_HASH_ANNOTATION = "healer.streamforge.io/config-hash";

/** ConfigMap keys (env variable names) with a value; numbers and booleans are written as text. */
export type HealerConfigOverrides = Record<string, string | number | boolean | undefined>;

export interface DeployHealerOptions {
  /** Overrides of ConfigMap `healer-config` keys, e.g. `{ HEALER_SILENCE_THRESHOLD: "5s" }`. */
  config?: HealerConfigOverrides;
  /** Default 2 (one leader, one standby). 0 applies everything and waits for no pod. */
  replicas?: number;
  /** HEALER_FAULT_POINT: the crash test hook. */
  faultPoint?: FaultPoint;
  /** Instance name (default `healer`); see the module comment. A DNS label of at most 40 characters. */
  name?: string;
  /** Image (default the manifests' `chaoslab/healer:dev`). */
  image?: string;
  /** Extra labels on the healer's pods (not part of any selector), e.g. the suite's chaos opt-in. */
  podLabels?: Record<string, string>;
  /** Bound on the wait for rollout + Lease + Ready. Default 120 s. */
  timeoutMs?: number;
}

export interface HealerPod {
  name: string;
  uid: string;
  podIP?: string;
  ready: boolean;
  /** `http://<podIP>:<port>` of /healthz, /readyz, /metrics. */
  url?: string;
  restartCount: number;
}

export interface DeployedHealer {
  readonly name: string;
  readonly namespace: string;
  /** Label selector of its pods. */
  readonly podSelector: string;
  /** The pods of the Deployment (not being deleted). */
  pods(): Promise<HealerPod[]>;
  /** The pod that holds the Lease (undefined while nobody does). */
  leader(): Promise<HealerPod | undefined>;
  /** GET /metrics of a pod (the leader by default) as text. */
  metrics(pod?: HealerPod): Promise<string>;
  scale(replicas: number, options?: { timeoutMs?: number }): Promise<void>;
  /** Deletes every object of this instance (and its Lease) and waits until its pods are gone. */
  remove(options?: { timeoutMs?: number }): Promise<void>;
}

/** Applies the manifests with the overrides and waits until one replica leads and is Ready. */
export async function deployHealer(kubeConfig: k8s.KubeConfig, options: DeployHealerOptions = {}): Promise<DeployedHealer> {
  const name = options.name ?? DEFAULT_HEALER_NAME;
  const replicas = options.replicas ?? 2;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 40) {
    throw new Error(`deployHealer: name must be a DNS label of at most 40 characters, found "${name}"`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`deployHealer: replicas must be a whole number >= 0, found ${replicas}`);
  const objects = renderHealerObjects({ ...options, name, replicas });
  await applyObjects(kubeConfig, objects);
  const healer = handle(kubeConfig, name);
  await waitRolledOut(kubeConfig, name, replicas, options.timeoutMs ?? 120_000);
  return healer;
}

export async function scaleHealer(kubeConfig: k8s.KubeConfig, replicas: number, options: { name?: string; timeoutMs?: number } = {}): Promise<void> {
  const name = options.name ?? DEFAULT_HEALER_NAME;
  await rawRequest(
    kubeConfig,
    "PATCH",
    `/apis/apps/v1/namespaces/${STREAMFORGE_NAMESPACE}/deployments/${name}`,
    { spec: { replicas } },
    "application/merge-patch+json",
  );
  await waitRolledOut(kubeConfig, name, replicas, options.timeoutMs ?? 120_000);
}

export async function removeHealer(kubeConfig: k8s.KubeConfig, options: { name?: string; timeoutMs?: number } = {}): Promise<void> {
  const name = options.name ?? DEFAULT_HEALER_NAME;
  const timeoutMs = options.timeoutMs ?? 90_000;
  const objects = renderHealerObjects({ name, replicas: 0 });
  const remove = async (apiPath: string, what: string) => {
    try {
      await rawRequest(kubeConfig, "DELETE", apiPath, { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" });
    } catch (error) {
      if (apiErrorCode(error) !== 404) throw new Error(`removeHealer: deleting ${what} failed: ${apiErrorMessage(error)}`);
    }
  };
  // The Deployment first, and wait for its pods: a stopping healer still needs its RBAC (to release
  // the Lease) and its ConfigMap; removing them first leaves it failing 403s during its graceful stop.
  const deployment = objects.find((object) => object.kind === "Deployment")!;
  await remove(pathOf(deployment), describe(deployment));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = await listPods(kubeConfig, name, true);
    if (pods.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`removeHealer: pods of ${name} still present after ${timeoutMs / 1000} s: ${pods.map((pod) => pod.metadata?.name).join(", ")}`);
    }
    await sleep(500);
  }
  for (const object of objects) if (object !== deployment) await remove(pathOf(object), describe(object));
  await remove(`/apis/coordination.k8s.io/v1/namespaces/${STREAMFORGE_NAMESPACE}/leases/${name}`, `Lease ${name}`);
}

/**
 * The healer's objects with the options applied: what `deployHealer` applies, and what the suite applies
 * with its timings. `replicas` undefined keeps the manifest's.
 */
export function renderHealerObjects(options: DeployHealerOptions = {}): k8s.KubernetesObject[] {
  const kustomization = parseManifests(fs.readFileSync(path.join(HEALER_MANIFESTS_DIR, "kustomization.yaml"), "utf8"))[0] as unknown as { resources: string[] };
  const objects = kustomization.resources.flatMap((file) =>
    parseManifests(fs.readFileSync(path.join(HEALER_MANIFESTS_DIR, file), "utf8"), path.join(HEALER_MANIFESTS_DIR, file)),
  ) as Array<k8s.KubernetesObject & Record<string, any>>;
  const name = options.name ?? DEFAULT_HEALER_NAME;
  const renamed = name !== DEFAULT_HEALER_NAME;
  const rename = (value: string) => (renamed ? value.replace(/^healer/, name) : value);
  const selectorLabels = (labels: Record<string, string>) => (renamed ? { ...labels, [INSTANCE_LABEL]: name } : labels);

  const configMap = objects.find((object) => object.kind === "ConfigMap")!;
  const data: Record<string, string> = { ...configMap.data };
  if (renamed) {
    data.HEALER_LEASE_NAME = name;
    data.HEALER_CONSUMER_GROUP = `streamforge-${name}`;
    data.HEALER_KAFKA_CLIENT_ID = name;
  }
  for (const [key, value] of Object.entries(options.config ?? {})) {
    if (value === undefined) delete data[key];
    else data[key] = String(value);
  }
  if (options.faultPoint) data.HEALER_FAULT_POINT = options.faultPoint;
  configMap.data = data;
  const configHash = createHash("sha256").update(JSON.stringify(Object.entries(data).sort())).digest("hex").slice(0, 16);

  for (const object of objects) {
    object.metadata = { ...object.metadata, name: rename(object.metadata!.name!), namespace: STREAMFORGE_NAMESPACE };
    if (renamed) object.metadata.labels = { ...object.metadata.labels, [INSTANCE_LABEL]: name };
    switch (object.kind) {
      case "Deployment": {
        if (options.replicas !== undefined) object.spec.replicas = options.replicas;
        object.spec.selector.matchLabels = selectorLabels(object.spec.selector.matchLabels);
        const template = object.spec.template;
        template.metadata.labels = { ...options.podLabels, ...selectorLabels(template.metadata.labels) };
        template.metadata.annotations = { ...template.metadata.annotations, [CONFIG_HASH_ANNOTATION]: configHash };
        template.spec.serviceAccountName = rename(template.spec.serviceAccountName);
        for (const term of template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
          term.podAffinityTerm.labelSelector.matchLabels = selectorLabels(term.podAffinityTerm.labelSelector.matchLabels);
        }
        const container = template.spec.containers[0];
        if (options.image) container.image = options.image;
        for (const source of container.envFrom ?? []) if (source.configMapRef) source.configMapRef.name = rename(source.configMapRef.name);
        break;
      }
      case "Service":
        object.spec.selector = selectorLabels(object.spec.selector);
        break;
      case "PodDisruptionBudget":
        object.spec.selector.matchLabels = selectorLabels(object.spec.selector.matchLabels);
        break;
      case "Role":
        for (const rule of object.rules ?? []) {
          if (rule.resourceNames) rule.resourceNames = rule.resourceNames.map((resourceName: string) => (resourceName === "healer" ? data.HEALER_LEASE_NAME ?? "healer" : resourceName));
        }
        break;
      case "RoleBinding":
        object.roleRef.name = rename(object.roleRef.name);
        for (const subject of object.subjects ?? []) subject.name = rename(subject.name);
        break;
    }
  }
  return objects;
}

function handle(kubeConfig: k8s.KubeConfig, name: string): DeployedHealer {
  const renamed = name !== DEFAULT_HEALER_NAME;
  const pods = async () => (await listPods(kubeConfig, name, false)).map(toHealerPod);
  const leader = async () => {
    const holder = await leaseHolder(kubeConfig, name);
    return holder ? (await pods()).find((pod) => pod.name === holder) : undefined;
  };
  return {
    name,
    namespace: STREAMFORGE_NAMESPACE,
    podSelector: renamed ? `app.kubernetes.io/name=healer,${INSTANCE_LABEL}=${name}` : "app.kubernetes.io/name=healer",
    pods,
    leader,
    metrics: async (pod) => {
      const target = pod ?? (await leader());
      if (!target?.url) throw new Error(`healer ${name}: no ${pod ? `address for pod ${pod.name}` : "leader"} to read /metrics from`);
      const response = await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`GET ${target.url}/metrics: HTTP ${response.status}`);
      return response.text();
    },
    scale: (replicas, options = {}) => scaleHealer(kubeConfig, replicas, { ...options, name }),
    remove: (options = {}) => removeHealer(kubeConfig, { ...options, name }),
  };
}

async function waitRolledOut(kubeConfig: k8s.KubeConfig, name: string, replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "nothing observed yet";
  for (;;) {
    try {
      const deployment = (await rawRequest(kubeConfig, "GET", `/apis/apps/v1/namespaces/${STREAMFORGE_NAMESPACE}/deployments/${name}`)) as k8s.V1Deployment;
      const status = deployment.status ?? {};
      const rolledOut =
        (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
        (status.updatedReplicas ?? 0) === replicas &&
        (status.readyReplicas ?? 0) === replicas &&
        (status.replicas ?? 0) === replicas;
      const pods = (await listPods(kubeConfig, name, true)).filter((pod) => !pod.metadata?.deletionTimestamp);
      const holder = replicas > 0 ? await leaseHolder(kubeConfig, name) : undefined;
      const leaderPod = pods.find((pod) => pod.metadata?.name === holder);
      last = `deployment status ${JSON.stringify({ updated: status.updatedReplicas, ready: status.readyReplicas, total: status.replicas })}, lease holder ${holder ?? "(none)"}, pods ${pods.map((pod) => `${pod.metadata?.name}:${isReady(pod) ? "Ready" : (pod.status?.phase ?? "?")}`).join(" ") || "(none)"}`;
      if (rolledOut && pods.length === replicas && (replicas === 0 || (leaderPod && isReady(leaderPod)))) return;
    } catch (error) {
      last = `error: ${apiErrorMessage(error)}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`healer ${STREAMFORGE_NAMESPACE}/${name}: not rolled out with a Ready leader within ${timeoutMs / 1000} s; ${last}${await logTails(kubeConfig, name)}`);
    }
    await sleep(500);
  }
}

async function listPods(kubeConfig: k8s.KubeConfig, name: string, includeDeleting: boolean): Promise<k8s.V1Pod[]> {
  const selector = name !== DEFAULT_HEALER_NAME ? `app.kubernetes.io/name=healer,${INSTANCE_LABEL}=${name}` : `app.kubernetes.io/name=healer,!${INSTANCE_LABEL}`;
  const list = (await rawRequest(
    kubeConfig,
    "GET",
    `/api/v1/namespaces/${STREAMFORGE_NAMESPACE}/pods?labelSelector=${encodeURIComponent(selector)}`,
  )) as k8s.V1PodList;
  return list.items.filter((pod) => includeDeleting || !pod.metadata?.deletionTimestamp);
}

async function leaseHolder(kubeConfig: k8s.KubeConfig, name: string): Promise<string | undefined> {
  try {
    const lease = (await rawRequest(kubeConfig, "GET", `/apis/coordination.k8s.io/v1/namespaces/${STREAMFORGE_NAMESPACE}/leases/${name}`)) as k8s.V1Lease;
    const holder = lease.spec?.holderIdentity;
    const renewedMs = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
    const fresh = Date.now() - renewedMs < (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    return holder && fresh ? holder : undefined;
  } catch (error) {
    if (apiErrorCode(error) === 404) return undefined;
    throw error;
  }
}

function isReady(pod: k8s.V1Pod): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;
}

function toHealerPod(pod: k8s.V1Pod): HealerPod {
  const port = pod.spec?.containers?.[0]?.ports?.find((candidate) => candidate.name === "http")?.containerPort ?? 8080;
  const podIP = pod.status?.podIP;
  return {
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    podIP,
    ready: isReady(pod),
    url: podIP ? `http://${podIP}:${port}` : undefined,
    restartCount: pod.status?.containerStatuses?.[0]?.restartCount ?? 0,
  };
}

/** On a timeout: the tail of each pod's log (sim lab: `<state>/pods/<ns>_<pod>_<uid>/healer.log`), if readable here. */
async function logTails(kubeConfig: k8s.KubeConfig, name: string): Promise<string> {
  try {
    const pods = await listPods(kubeConfig, name, true);
    const stateDir = process.env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", "sim");
    const tails = pods.map((pod) => {
      const file = path.join(stateDir, "pods", `${STREAMFORGE_NAMESPACE}_${pod.metadata?.name}_${pod.metadata?.uid}`, "healer.log");
      try {
        const lines = fs.readFileSync(file, "utf8").trim().split("\n").slice(-5);
        return `\n--- ${file} (last lines)\n${lines.join("\n")}`;
      } catch {
        return "";
      }
    });
    return tails.join("");
  } catch {
    return "";
  }
}

function pathOf(object: k8s.KubernetesObject): string {
  const plural: Record<string, string> = {
    ServiceAccount: "serviceaccounts",
    Role: "roles",
    RoleBinding: "rolebindings",
    ConfigMap: "configmaps",
    Deployment: "deployments",
    Service: "services",
    PodDisruptionBudget: "poddisruptionbudgets",
  };
  const resource = plural[object.kind ?? ""];
  if (!resource) throw new Error(`removeHealer: unexpected kind ${object.kind} in healer/manifests`);
  const base = object.apiVersion === "v1" ? "/api/v1" : `/apis/${object.apiVersion}`;
  return `${base}/namespaces/${STREAMFORGE_NAMESPACE}/${resource}/${object.metadata?.name}`;
}

function describe(object: k8s.KubernetesObject): string {
  return `${object.kind} ${STREAMFORGE_NAMESPACE}/${object.metadata?.name}`;
}
