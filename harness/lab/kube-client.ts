/**
 * KubePort over @kubernetes/client-node 1.4: typed CoreV1 calls for pods, KubernetesObjectApi for
 * everything else, server-side apply through cluster/kube/apply.ts. 404 on read means "absent";
 * 404/409 on a delete with a UID precondition means "gone" (already deleted or replaced).
 *
 * NEEDS LAB VERIFICATION: compiled against the client's types; not yet run against an API server.
 */
import * as k8s from "@kubernetes/client-node";
import { apiErrorCode, apiErrorMessage, applyObjects, loadKubeConfig } from "../../cluster/kube/apply.ts";
import type { DeleteResult, KubeObject, KubePort, ObjectRef, PodInfo } from "../core/ports.ts";

export function podInfo(pod: k8s.V1Pod): PodInfo {
  const owner = pod.metadata?.ownerReferences?.find((reference) => reference.controller) ?? pod.metadata?.ownerReferences?.[0];
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
    labels: pod.metadata?.labels ?? {},
    phase: pod.status?.phase ?? "Unknown",
    ready: pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false,
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null,
    owner: owner ? { kind: owner.kind, name: owner.name, uid: owner.uid } : undefined,
    podIP: pod.status?.podIP,
    nodeName: pod.spec?.nodeName,
  };
}

export class KubeClient implements KubePort {
  private readonly core: k8s.CoreV1Api;
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(readonly config: k8s.KubeConfig) {
    this.core = config.makeApiClient(k8s.CoreV1Api);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(config);
  }

  static fromKubeconfig(file: string): KubeClient {
    return new KubeClient(loadKubeConfig(file));
  }

  async listPods(namespace: string, labelSelector?: string): Promise<PodInfo[]> {
    const list = await this.call(`list pods in ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }));
    return list.items.map(podInfo);
  }

  async getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    const pod = await this.absentIf404(`read pod ${namespace}/${name}`, () => this.core.readNamespacedPod({ namespace, name }));
    return pod ? podInfo(pod) : undefined;
  }

  async namespaceLabels(namespace: string): Promise<Record<string, string> | undefined> {
    const found = await this.absentIf404(`read namespace ${namespace}`, () => this.core.readNamespace({ name: namespace }));
    return found ? (found.metadata?.labels ?? {}) : undefined;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.absentIf404(`read ${describe(ref)}`, () =>
      this.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }),
    ) as Promise<KubeObject | undefined>;
  }

  async list(query: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): Promise<KubeObject[]> {
    const list = await this.call(`list ${query.kind} in ${query.namespace ?? "all namespaces"}`, () =>
      this.objects.list(query.apiVersion, query.kind, query.namespace, undefined, undefined, undefined, undefined, query.labelSelector),
    );
    // The list's items omit apiVersion/kind; put them back so callers get whole objects.
    return list.items.map((item) => ({ ...item, apiVersion: query.apiVersion, kind: query.kind }) as KubeObject);
  }

  async deletePod(namespace: string, name: string, options: { uid: string; gracePeriodSeconds?: number }): Promise<DeleteResult> {
    // Grace period and preconditions go in the body: the API server ignores query parameters when a body is present.
    const body: k8s.V1DeleteOptions = { preconditions: { uid: options.uid }, gracePeriodSeconds: options.gracePeriodSeconds };
    return this.deleteTolerant(`delete pod ${namespace}/${name}`, () => this.core.deleteNamespacedPod({ namespace, name, body }));
  }

  async create(object: KubeObject): Promise<KubeObject> {
    return (await this.call(`create ${describe(object)}`, () => this.objects.create(object as k8s.KubernetesObject))) as KubeObject;
  }

  async apply(object: KubeObject): Promise<KubeObject> {
    const [applied] = await applyObjects(this.config, [object as k8s.KubernetesObject]);
    return applied as KubeObject;
  }

  async delete(ref: ObjectRef, options: { uid?: string; propagationPolicy?: "Background" | "Foreground" } = {}): Promise<DeleteResult> {
    const propagationPolicy = options.propagationPolicy ?? "Background";
    const body: k8s.V1DeleteOptions = { propagationPolicy, ...(options.uid ? { preconditions: { uid: options.uid } } : {}) };
    return this.deleteTolerant(`delete ${describe(ref)}`, () =>
      this.objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, undefined, undefined, undefined, propagationPolicy, body),
    );
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new Error(`${what}: ${apiErrorMessage(error)}`);
    }
  }

  private async absentIf404<T>(what: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      if (apiErrorCode(error) === 404) return undefined;
      throw new Error(`${what}: ${apiErrorMessage(error)}`);
    }
  }

  private async deleteTolerant(what: string, request: () => Promise<unknown>): Promise<DeleteResult> {
    try {
      await request();
      return "deleted";
    } catch (error) {
      // 404: already gone; 409: the UID precondition failed — the object was replaced, ours is gone.
      const code = apiErrorCode(error);
      if (code === 404 || code === 409) return "gone";
      throw new Error(`${what}: ${apiErrorMessage(error)}`);
    }
  }
}

function describe(ref: { kind: string; namespace?: string; name?: string; metadata?: { name?: string; namespace?: string } }): string {
  const name = ref.name ?? ref.metadata?.name;
  const namespace = ref.namespace ?? ref.metadata?.namespace;
  return `${ref.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}
