/**
 * An in-memory Kubernetes API for unit tests: Jobs, Pods, Leases, Events, list + watch. It reproduces
 * the API behaviour the healer's safety depends on — and nothing more:
 *  - create of a taken name → 409 AlreadyExists; a Job with a selector not auto-generated → 422;
 *  - delete honours `preconditions.uid` (409) and `propagationPolicy`; with NO policy the Job's pods are
 *    orphaned and keep running, exactly the API default for batch/v1 Jobs;
 *  - merge patch (RFC 7386), where a different `metadata.uid` fails like the immutable field it is;
 *  - Lease replace with a stale resourceVersion → 409 Conflict.
 * A minimal "Job controller" (`syncJobs`) gives active Jobs a Running, Ready pod when asked.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../runtime/clock.ts";
import type { KubeApi, ListResult, ListWatchClient, WatchOptions } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-client.ts";
import { matchesSelector, mergePatch } from "./api-semantics.ts";
import type { DeleteOptionsJson, EventJson, JobJson, LeaseJson, PodJson, WatchEventType } from "../kube/kube-types.ts";

type Kind = "jobs" | "pods" | "leases" | "events";
type StoredObject = { metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [key: string]: unknown } };

interface WatchRecord {
  rv: number;
  kind: Kind;
  namespace: string;
  type: WatchEventType;
  object: StoredObject;
}

export interface ApiCall {
  verb: string;
  kind: Kind;
  namespace: string;
  name?: string;
  body?: unknown;
}

export class FakeKube implements KubeApi {
  private readonly objects = new Map<string, StoredObject>();
  private readonly log: WatchRecord[] = [];
  private readonly watchers = new Set<(record: WatchRecord) => void>();
  private rv = 100;
  readonly calls: ApiCall[] = [];
  /** Errors to throw on the next matching call(s): key `${verb} ${kind}`. */
  private readonly failures = new Map<string, unknown[]>();
  /** When set, every API call fails (API server down). */
  unavailable = false;

  constructor(private readonly clock: Clock) {}

  // ---- test controls ----

  failNext(verb: string, kind: Kind, error: unknown = new KubeApiError(500, "InternalError", "injected")): void {
    const key = `${verb} ${kind}`;
    this.failures.set(key, [...(this.failures.get(key) ?? []), error]);
  }

  jobs(namespace?: string): JobJson[] {
    return this.all<JobJson>("jobs", namespace);
  }

  pods(namespace?: string): PodJson[] {
    return this.all<PodJson>("pods", namespace);
  }

  events(namespace?: string): EventJson[] {
    return this.all<EventJson>("events", namespace);
  }

  job(namespace: string, name: string): JobJson | undefined {
    return this.objects.get(this.key("jobs", namespace, name)) as JobJson | undefined;
  }

  mutations(): ApiCall[] {
    return this.calls.filter((call) => call.verb !== "get" && call.verb !== "list" && call.kind !== "events" && call.kind !== "leases");
  }

  /** Puts an object as-is (test setup), assigning uid/resourceVersion/creationTimestamp when missing. */
  seed<T extends StoredObject>(kind: Kind, object: T): T {
    const copy = structuredClone(object);
    copy.metadata.uid ??= randomUUID();
    copy.metadata.creationTimestamp ??= new Date(this.clock.wallMs()).toISOString();
    this.write(kind, copy, this.objects.has(this.key(kind, copy.metadata.namespace ?? "", copy.metadata.name ?? "")) ? "MODIFIED" : "ADDED");
    return copy;
  }

  /** Updates an object in place (status changes by "controllers"), bumping its resourceVersion. */
  update<T extends StoredObject>(kind: Kind, namespace: string, name: string, change: (object: T) => void): T {
    const existing = this.objects.get(this.key(kind, namespace, name)) as T | undefined;
    if (!existing) throw new Error(`fake: no ${kind} ${namespace}/${name}`);
    const copy = structuredClone(existing);
    change(copy);
    this.write(kind, copy, "MODIFIED");
    return copy;
  }

  remove(kind: Kind, namespace: string, name: string): void {
    const key = this.key(kind, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return;
    this.objects.delete(key);
    this.emit(kind, "DELETED", { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.rv) } });
  }

  /** A pod for a Job, as the Job controller creates it (ownerReference + controller-uid labels). */
  addPodFor(job: JobJson, options: { ready?: boolean; phase?: string; name?: string; graceSeconds?: number } = {}): PodJson {
    const uid = job.metadata.uid ?? "";
    return this.seed<PodJson>("pods", {
      metadata: {
        name: options.name ?? `${job.metadata.name}-${Math.random().toString(36).slice(2, 7)}`,
        namespace: job.metadata.namespace,
        labels: {
          ...(job.spec?.template?.metadata?.labels ?? {}),
          "batch.kubernetes.io/controller-uid": uid,
          "controller-uid": uid,
          "batch.kubernetes.io/job-name": job.metadata.name ?? "",
          "job-name": job.metadata.name ?? "",
        },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name ?? "", uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { terminationGracePeriodSeconds: options.graceSeconds ?? 5 },
      status: {
        phase: options.phase ?? "Running",
        conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
      },
    });
  }

  /** Minimal Job controller: every active Job without a live pod gets a Running, Ready one. */
  syncJobs(): void {
    for (const job of this.jobs()) {
      const finished = job.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
      if (job.spec?.suspend || job.metadata.deletionTimestamp || finished) continue;
      const live = this.pods(job.metadata.namespace).filter(
        (pod) => pod.metadata.ownerReferences?.[0]?.uid === job.metadata.uid && pod.status?.phase !== "Failed" && pod.status?.phase !== "Succeeded",
      );
      if (live.length === 0) {
        this.addPodFor(job);
        this.update<JobJson>("jobs", job.metadata.namespace ?? "", job.metadata.name ?? "", (j) => {
          j.status = { ...(j.status ?? {}), active: 1, ready: 1, startTime: j.status?.startTime ?? new Date(this.clock.wallMs()).toISOString() };
        });
      }
    }
  }

  /** Finishes graceful pod deletions (the kubelet's part): pods whose deletionTimestamp passed are removed. */
  reapPods(): void {
    for (const pod of this.pods()) {
      const deletion = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : undefined;
      if (deletion !== undefined && deletion <= this.clock.wallMs()) this.remove("pods", pod.metadata.namespace ?? "", pod.metadata.name ?? "");
    }
  }

  /** Pods of a Job that are neither terminal nor gone: what "a live attempt" means. */
  livePodsOf(jobUid: string): PodJson[] {
    return this.pods().filter(
      (pod) =>
        pod.metadata.ownerReferences?.some((owner) => owner.uid === jobUid) &&
        pod.status?.phase !== "Failed" &&
        pod.status?.phase !== "Succeeded",
    );
  }

  // ---- KubeApi ----

  async readJob(namespace: string, name: string): Promise<JobJson | undefined> {
    this.enter("get", "jobs", namespace, name);
    const job = this.objects.get(this.key("jobs", namespace, name));
    return job ? (structuredClone(job) as JobJson) : undefined;
  }

  async listJobs(namespace: string, labelSelector: string): Promise<JobJson[]> {
    this.enter("list", "jobs", namespace);
    return this.all<JobJson>("jobs", namespace).filter((job) => matchesSelector(job.metadata.labels, labelSelector));
  }

  async createJob(namespace: string, job: JobJson): Promise<JobJson> {
    this.enter("create", "jobs", namespace, job.metadata.name, job);
    const name = job.metadata.name ?? "";
    if (this.objects.has(this.key("jobs", namespace, name))) {
      throw new KubeApiError(409, "AlreadyExists", `jobs.batch "${name}" already exists`);
    }
    if (job.spec?.selector !== undefined && job.spec.manualSelector !== true) {
      throw new KubeApiError(422, "Invalid", `Job.batch "${name}" is invalid: spec.selector: Invalid value: \`selector\` not auto-generated`);
    }
    const templateLabels = job.spec?.template?.metadata?.labels ?? {};
    if (templateLabels["controller-uid"] || templateLabels["batch.kubernetes.io/controller-uid"]) {
      throw new KubeApiError(422, "Invalid", `Job.batch "${name}" is invalid: spec.template.metadata.labels: selector does not match template labels`);
    }
    for (const forbidden of ["uid", "resourceVersion"] as const) {
      if (job.metadata[forbidden] !== undefined) throw new KubeApiError(422, "Invalid", `metadata.${forbidden} must not be set on create`);
    }
    const uid = randomUUID();
    const created: JobJson = structuredClone(job);
    created.metadata.namespace = namespace;
    created.metadata.uid = uid;
    created.metadata.creationTimestamp = new Date(this.clock.wallMs()).toISOString();
    const generated = { "batch.kubernetes.io/controller-uid": uid, "controller-uid": uid, "batch.kubernetes.io/job-name": name, "job-name": name };
    created.spec = {
      ...created.spec,
      selector: { matchLabels: { "batch.kubernetes.io/controller-uid": uid } },
      template: { ...created.spec?.template, metadata: { ...created.spec?.template?.metadata, labels: { ...templateLabels, ...generated } } },
    };
    created.status = {};
    this.write("jobs", created, "ADDED");
    return structuredClone(created);
  }

  async deleteJob(namespace: string, name: string, options: DeleteOptionsJson): Promise<void> {
    this.enter("delete", "jobs", namespace, name, options);
    const key = this.key("jobs", namespace, name);
    const job = this.objects.get(key) as JobJson | undefined;
    if (!job) throw new KubeApiError(404, "NotFound", `jobs.batch "${name}" not found`);
    if (options.preconditions?.uid !== undefined && options.preconditions.uid !== job.metadata.uid) {
      throw new KubeApiError(
        409,
        "Conflict",
        `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${job.metadata.uid}`,
      );
    }
    this.remove("jobs", namespace, name);
    const policy = options.propagationPolicy ?? "Orphan";
    for (const pod of this.pods(namespace)) {
      if (!pod.metadata.ownerReferences?.some((owner) => owner.uid === job.metadata.uid)) continue;
      if (policy === "Orphan") {
        this.update<PodJson>("pods", namespace, pod.metadata.name ?? "", (p) => {
          p.metadata.ownerReferences = [];
        });
      } else {
        this.deletePodGracefully(pod);
      }
    }
  }

  async patchJob(namespace: string, name: string, patch: object): Promise<JobJson> {
    this.enter("patch", "jobs", namespace, name, patch);
    const job = this.objects.get(this.key("jobs", namespace, name)) as JobJson | undefined;
    if (!job) throw new KubeApiError(404, "NotFound", `jobs.batch "${name}" not found`);
    const patched = mergePatch(job, patch) as JobJson;
    if (patched.metadata.uid !== job.metadata.uid) {
      throw new KubeApiError(422, "Invalid", `Job.batch "${name}" is invalid: metadata.uid: Invalid value: field is immutable`);
    }
    if (patched.spec?.suspend === false && job.spec?.suspend === true) {
      patched.status = { ...(patched.status ?? {}), startTime: new Date(this.clock.wallMs()).toISOString() };
    }
    this.write("jobs", patched, "MODIFIED");
    return structuredClone(patched);
  }

  async listPods(namespace: string, labelSelector: string): Promise<PodJson[]> {
    this.enter("list", "pods", namespace);
    return this.all<PodJson>("pods", namespace).filter((pod) => matchesSelector(pod.metadata.labels, labelSelector));
  }

  async readLease(namespace: string, name: string): Promise<LeaseJson | undefined> {
    this.enter("get", "leases", namespace, name);
    const lease = this.objects.get(this.key("leases", namespace, name));
    return lease ? (structuredClone(lease) as LeaseJson) : undefined;
  }

  async createLease(namespace: string, lease: LeaseJson): Promise<LeaseJson> {
    this.enter("create", "leases", namespace, lease.metadata.name, lease);
    if (this.objects.has(this.key("leases", namespace, lease.metadata.name ?? ""))) {
      throw new KubeApiError(409, "AlreadyExists", `leases "${lease.metadata.name}" already exists`);
    }
    const created = structuredClone(lease);
    created.metadata.namespace = namespace;
    created.metadata.uid = randomUUID();
    this.write("leases", created, "ADDED");
    return structuredClone(created);
  }

  async replaceLease(namespace: string, lease: LeaseJson): Promise<LeaseJson> {
    this.enter("update", "leases", namespace, lease.metadata.name, lease);
    const existing = this.objects.get(this.key("leases", namespace, lease.metadata.name ?? ""));
    if (!existing) throw new KubeApiError(404, "NotFound", "lease not found");
    if (lease.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      throw new KubeApiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
    }
    const replaced = structuredClone(lease);
    this.write("leases", replaced, "MODIFIED");
    return structuredClone(replaced);
  }

  async createEvent(namespace: string, event: EventJson): Promise<EventJson> {
    this.enter("create", "events", namespace, event.metadata.name, event);
    const created = structuredClone(event);
    created.metadata.namespace = namespace;
    this.write("events", created as unknown as StoredObject, "ADDED");
    return created;
  }

  async patchEvent(namespace: string, name: string, patch: object): Promise<void> {
    this.enter("patch", "events", namespace, name, patch);
    const existing = this.objects.get(this.key("events", namespace, name));
    if (!existing) throw new KubeApiError(404, "NotFound", "event not found");
    this.write("events", mergePatch(existing, patch) as StoredObject, "MODIFIED");
  }

  // ---- list + watch ----

  listWatch<T>(kind: "jobs" | "pods"): ListWatchClient<T> {
    return {
      resource: kind,
      list: async (namespace: string, labelSelector: string | undefined): Promise<ListResult<T>> => {
        this.enter("list", kind, namespace);
        const items = this.all<StoredObject & { metadata: { labels?: Record<string, string> } }>(kind, namespace).filter((object) =>
          matchesSelector(object.metadata.labels as Record<string, string> | undefined, labelSelector),
        );
        return { items: items as T[], resourceVersion: String(this.rv) };
      },
      watch: (namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, object: unknown) => void, signal: AbortSignal) => {
        if (this.unavailable) return Promise.reject(new KubeApiError(503, "ServiceUnavailable", "fake API server down"));
        const since = Number(options.resourceVersion || "0");
        const relevant = (record: WatchRecord) =>
          record.kind === kind &&
          record.namespace === namespace &&
          matchesSelector((record.object.metadata as { labels?: Record<string, string> }).labels, options.labelSelector);
        if (this.log.length > 0 && since < (this.log[0]?.rv ?? 0) - 1) {
          onEvent("ERROR", { code: 410, reason: "Expired", message: "too old resource version" });
          return Promise.resolve();
        }
        for (const record of this.log) if (record.rv > since && relevant(record)) onEvent(record.type, structuredClone(record.object));
        return new Promise<void>((resolve) => {
          const listener = (record: WatchRecord) => {
            if (relevant(record)) onEvent(record.type, structuredClone(record.object));
          };
          this.watchers.add(listener);
          const timer = this.clock.setTimer(() => finish(), options.timeoutSeconds * 1000);
          const finish = () => {
            timer.cancel();
            this.watchers.delete(listener);
            resolve();
          };
          signal.addEventListener("abort", finish, { once: true });
        });
      },
    };
  }

  /** Forgets watch history older than the current resourceVersion (so resuming from an old one gets 410). */
  compactWatchHistory(): void {
    this.log.splice(0, this.log.length);
  }

  // ---- internals ----

  private deletePodGracefully(pod: PodJson): void {
    if (pod.metadata.deletionTimestamp) return;
    const graceMs = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    this.update<PodJson>("pods", pod.metadata.namespace ?? "", pod.metadata.name ?? "", (p) => {
      p.metadata.deletionTimestamp = new Date(this.clock.wallMs() + graceMs).toISOString();
      p.metadata.deletionGracePeriodSeconds = graceMs / 1000;
    });
  }

  private enter(verb: string, kind: Kind, namespace: string, name?: string, body?: unknown): void {
    this.calls.push({ verb, kind, namespace, name, body: body === undefined ? undefined : structuredClone(body) });
    if (this.unavailable) throw new KubeApiError(503, "ServiceUnavailable", "fake API server down");
    const queued = this.failures.get(`${verb} ${kind}`);
    if (queued && queued.length > 0) throw queued.shift();
  }

  private all<T>(kind: Kind, namespace?: string): T[] {
    const prefix = namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
    return [...this.objects.entries()].filter(([key]) => key.startsWith(prefix)).map(([, object]) => structuredClone(object) as T);
  }

  private key(kind: Kind, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  private write(kind: Kind, object: StoredObject, type: WatchEventType): void {
    object.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(kind, object.metadata.namespace ?? "", object.metadata.name ?? ""), object);
    this.emit(kind, type, object);
  }

  private emit(kind: Kind, type: WatchEventType, object: StoredObject): void {
    const record: WatchRecord = { rv: Number(object.metadata.resourceVersion), kind, namespace: object.metadata.namespace ?? "", type, object: structuredClone(object) };
    this.log.push(record);
    if (this.log.length > 10_000) this.log.shift();
    for (const watcher of [...this.watchers]) watcher(record);
  }
}
