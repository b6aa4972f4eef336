/**
 * The Kubernetes operations the healer uses, behind one small interface so the reconciler, leader
 * election and event recorder run against a fake in unit tests and against the real API server in
 * the lab.
 */
import { isNotFound, type KubeTransport } from "./kube-client.ts";
import type { DeleteOptionsJson, EventJson, JobJson, LeaseJson, PodJson, WatchEventType } from "./kube-types.ts";

export interface KubeApi {
  readJob(namespace: string, name: string): Promise<JobJson | undefined>;
  listJobs(namespace: string, labelSelector: string): Promise<JobJson[]>;
  createJob(namespace: string, job: JobJson): Promise<JobJson>;
  /** Throws KubeApiError: 404 when gone, 409 when a precondition (UID) fails. */
  deleteJob(namespace: string, name: string, options: DeleteOptionsJson): Promise<void>;
  /** JSON merge patch (RFC 7386). */
  patchJob(namespace: string, name: string, patch: object): Promise<JobJson>;
  listPods(namespace: string, labelSelector: string): Promise<PodJson[]>;
  readLease(namespace: string, name: string): Promise<LeaseJson | undefined>;
  createLease(namespace: string, lease: LeaseJson): Promise<LeaseJson>;
  /** Optimistic concurrency: `lease.metadata.resourceVersion` must be the one read (409 otherwise). */
  replaceLease(namespace: string, lease: LeaseJson): Promise<LeaseJson>;
  createEvent(namespace: string, event: EventJson): Promise<EventJson>;
  patchEvent(namespace: string, name: string, patch: object): Promise<void>;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface WatchOptions {
  labelSelector?: string;
  resourceVersion: string;
  timeoutSeconds: number;
}

/** List + watch of one resource in one namespace: what an informer needs. */
export interface ListWatchClient<T> {
  readonly resource: string;
  list(namespace: string, labelSelector: string | undefined): Promise<ListResult<T>>;
  /** Resolves when the server closes the watch (or `signal` aborts); rejects on HTTP errors. */
  watch(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, object: unknown) => void, signal: AbortSignal): Promise<void>;
}

const JOBS = (namespace: string) => `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
const PODS = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
const LEASES = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
const EVENTS = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
const MERGE_PATCH = "application/merge-patch+json";
/** Pages keep a 10,000-Job list from becoming one huge response. */
const PAGE_SIZE = 500;

async function listAll<T>(transport: KubeTransport, path: string, labelSelector: string | undefined): Promise<ListResult<T>> {
  const items: T[] = [];
  let resourceVersion = "";
  let continueToken: string | undefined;
  do {
    const page = await transport.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>("GET", path, {
      query: { labelSelector, limit: PAGE_SIZE, continue: continueToken },
    });
    items.push(...(page.items ?? []));
    // All pages of one list are served from the snapshot of the first page.
    if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? "";
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return { items, resourceVersion };
}

export class HttpKubeApi implements KubeApi {
  constructor(private readonly transport: KubeTransport) {}

  /** The object at `path`, or undefined when it does not exist (404); any other error is thrown. */
  private async readIfExists<T>(path: string): Promise<T | undefined> {
    try {
      return await this.transport.request<T>("GET", path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  readJob(namespace: string, name: string): Promise<JobJson | undefined> {
    return this.readIfExists<JobJson>(`${JOBS(namespace)}/${encodeURIComponent(name)}`);
  }

  async listJobs(namespace: string, labelSelector: string): Promise<JobJson[]> {
    return (await listAll<JobJson>(this.transport, JOBS(namespace), labelSelector)).items;
  }

  createJob(namespace: string, job: JobJson): Promise<JobJson> {
    return this.transport.request<JobJson>("POST", JOBS(namespace), { body: job });
  }

  async deleteJob(namespace: string, name: string, options: DeleteOptionsJson): Promise<void> {
    // Options go in the body only: with a body present the API server ignores query parameters.
    await this.transport.request("DELETE", `${JOBS(namespace)}/${encodeURIComponent(name)}`, { body: options });
  }

  patchJob(namespace: string, name: string, patch: object): Promise<JobJson> {
    return this.transport.request<JobJson>("PATCH", `${JOBS(namespace)}/${encodeURIComponent(name)}`, { body: patch, contentType: MERGE_PATCH });
  }

  async listPods(namespace: string, labelSelector: string): Promise<PodJson[]> {
    return (await listAll<PodJson>(this.transport, PODS(namespace), labelSelector)).items;
  }

  readLease(namespace: string, name: string): Promise<LeaseJson | undefined> {
    return this.readIfExists<LeaseJson>(`${LEASES(namespace)}/${encodeURIComponent(name)}`);
  }

  createLease(namespace: string, lease: LeaseJson): Promise<LeaseJson> {
    return this.transport.request<LeaseJson>("POST", LEASES(namespace), { body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease } });
  }

  replaceLease(namespace: string, lease: LeaseJson): Promise<LeaseJson> {
    return this.transport.request<LeaseJson>("PUT", `${LEASES(namespace)}/${encodeURIComponent(lease.metadata.name ?? "")}`, {
      body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", ...lease },
    });
  }

  createEvent(namespace: string, event: EventJson): Promise<EventJson> {
    return this.transport.request<EventJson>("POST", EVENTS(namespace), { body: { apiVersion: "v1", kind: "Event", ...event } });
  }

  async patchEvent(namespace: string, name: string, patch: object): Promise<void> {
    await this.transport.request("PATCH", `${EVENTS(namespace)}/${encodeURIComponent(name)}`, { body: patch, contentType: MERGE_PATCH });
  }
}

class HttpListWatch<T> implements ListWatchClient<T> {
  constructor(
    private readonly transport: KubeTransport,
    readonly resource: string,
    private readonly pathOf: (namespace: string) => string,
  ) {}

  list(namespace: string, labelSelector: string | undefined): Promise<ListResult<T>> {
    return listAll<T>(this.transport, this.pathOf(namespace), labelSelector);
  }

  watch(namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, object: unknown) => void, signal: AbortSignal): Promise<void> {
    return this.transport.stream(
      this.pathOf(namespace),
      {
        watch: true,
        labelSelector: options.labelSelector,
        resourceVersion: options.resourceVersion,
        timeoutSeconds: options.timeoutSeconds,
        // Bookmarks keep the resourceVersion fresh on quiet watches (fewer 410s) and feed the watchdog.
        allowWatchBookmarks: true,
      },
      (line) => {
        let parsed: { type?: WatchEventType; object?: unknown };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          return;
        }
        if (parsed.type) onEvent(parsed.type, parsed.object);
      },
      signal,
    );
  }
}

export function jobListWatch(transport: KubeTransport): ListWatchClient<JobJson> {
  return new HttpListWatch<JobJson>(transport, "jobs", JOBS);
}

export function podListWatch(transport: KubeTransport): ListWatchClient<PodJson> {
  return new HttpListWatch<PodJson>(transport, "pods", PODS);
}
