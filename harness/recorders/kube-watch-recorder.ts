/**
 * Records Kubernetes object changes (Pods, Jobs, ReplicaSets, Deployments, StatefulSets) and Events of
 * the watched namespaces into the timeline, and the healer's Events as healer decisions.
 *
 * client-node's watches end on any error and never reconnect by themselves, so each watch is
 * supervised: on end it relists (recording what changed in the gap) and watches again with backoff.
 *
 * NEEDS LAB VERIFICATION: not yet run against an API server.
 */
import * as k8s from "@kubernetes/client-node";
import { loadKubeConfig } from "../../cluster/kube/apply.ts";
import type { Recorder, RecorderContext } from "../core/recorder.ts";
import { WATCHED_KINDS } from "../expectations/stable-for.ts";
import { healerDecisionFromEvent } from "./healer-decisions.ts";
import { ObjectTracker, type WatchedObject } from "./object-tracker.ts";
import { ofThisRun } from "../probes/healer-actions.ts";

const API_VERSIONS: Record<(typeof WATCHED_KINDS)[number], { apiVersion: string; plural: string }> = {
  Pod: { apiVersion: "v1", plural: "pods" },
  Job: { apiVersion: "batch/v1", plural: "jobs" },
  ReplicaSet: { apiVersion: "apps/v1", plural: "replicasets" },
  Deployment: { apiVersion: "apps/v1", plural: "deployments" },
  StatefulSet: { apiVersion: "apps/v1", plural: "statefulsets" },
};

function pathOf(apiVersion: string, namespace: string, plural: string): string {
  return apiVersion === "v1" ? `/api/v1/namespaces/${namespace}/${plural}` : `/apis/${apiVersion}/namespaces/${namespace}/${plural}`;
}

function asWatched(object: k8s.KubernetesObject): WatchedObject {
  return { name: object.metadata?.name ?? "", namespace: object.metadata?.namespace ?? "", uid: object.metadata?.uid ?? "" };
}

function eventTime(event: k8s.CoreV1Event): number {
  const stamp = event.eventTime ?? event.lastTimestamp ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  return stamp ? new Date(stamp as unknown as string).getTime() : Date.now();
}

export class KubeWatchRecorder implements Recorder {
  readonly name = "kubernetes";
  private readonly config: k8s.KubeConfig;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly watch: k8s.Watch;
  private readonly controllers = new Set<AbortController>();
  private stopped = false;

  constructor(kubeconfig: string) {
    this.config = loadKubeConfig(kubeconfig);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(this.config);
    this.watch = new k8s.Watch(this.config);
  }

  async start(ctx: RecorderContext): Promise<string[]> {
    const sources: string[] = [];
    for (const kind of WATCHED_KINDS) {
      const { apiVersion, plural } = API_VERSIONS[kind];
      const tracker = new ObjectTracker(kind);
      try {
        for (const namespace of ctx.namespaces) {
          const resourceVersion = await this.relist(apiVersion, kind, namespace, (objects) => tracker.baseline(objects));
          this.supervise(pathOf(apiVersion, namespace, plural), resourceVersion, ctx, (type, object) => {
            const change = tracker.observe(type, asWatched(object));
            if (change) ctx.timeline.record(change);
          }, async () => {
            let changes: ReturnType<ObjectTracker["resync"]> = [];
            const version = await this.relist(apiVersion, kind, namespace, (objects) => (changes = tracker.resync(objects)));
            for (const change of changes) ctx.timeline.record(change);
            return version;
          });
        }
        sources.push(`objects:${kind}`, ...ctx.namespaces.map((namespace) => `objects:${kind}:${namespace}`));
      } catch (error) {
        ctx.timeline.record({ kind: "note", level: "warning", message: `not recording ${kind} changes: ${(error as Error).message}` });
      }
    }
    try {
      for (const namespace of ctx.namespaces) {
        const list = await this.objects.list<k8s.CoreV1Event>("v1", "Event", namespace);
        const onEvent = (_type: string, event: k8s.CoreV1Event) => {
          const at = eventTime(event);
          if (at < ctx.runStartedAt) return;
          ctx.timeline.record({
            kind: "k8s-event",
            at,
            namespace,
            involvedObject: { kind: event.involvedObject.kind ?? "", name: event.involvedObject.name ?? "", uid: event.involvedObject.uid },
            reason: event.reason ?? "",
            message: event.message ?? "",
            type: event.type ?? "",
            source: event.reportingComponent || event.source?.component,
          });
          const decision = healerDecisionFromEvent({ reason: event.reason, involvedObject: event.involvedObject, at, message: event.message });
          const runTasks = ctx.names?.created() ?? [];
          if (decision && (runTasks.length === 0 || ofThisRun(decision, runTasks))) ctx.timeline.record(decision);
        };
        this.supervise(`/api/v1/namespaces/${namespace}/events`, list.metadata?.resourceVersion, ctx, (type, object) => {
          if (type !== "DELETED") onEvent(type, object as k8s.CoreV1Event);
        }, async () => (await this.objects.list("v1", "Event", namespace)).metadata?.resourceVersion);
      }
      sources.push("k8s-events");
    } catch (error) {
      ctx.timeline.record({ kind: "note", level: "warning", message: `not recording Kubernetes Events: ${(error as Error).message}` });
    }
    return sources;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
  }

  private async relist(apiVersion: string, kind: string, namespace: string, use: (objects: WatchedObject[]) => void): Promise<string | undefined> {
    const list = await this.objects.list(apiVersion, kind, namespace);
    use(list.items.map(asWatched));
    return list.metadata?.resourceVersion;
  }

  private supervise(
    path: string,
    resourceVersion: string | undefined,
    ctx: RecorderContext,
    onObject: (type: "ADDED" | "MODIFIED" | "DELETED", object: k8s.KubernetesObject) => void,
    relist: () => Promise<string | undefined>,
  ): void {
    let attempt = 0;
    const begin = async (version: string | undefined) => {
      if (this.stopped) return;
      try {
        const controller = await this.watch.watch(
          path,
          { resourceVersion: version, allowWatchBookmarks: true },
          (type, object) => {
            attempt = 0;
            if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") onObject(type, object as k8s.KubernetesObject);
          },
          () => {
            this.controllers.delete(controller);
            void restart();
          },
        );
        this.controllers.add(controller);
      } catch {
        void restart();
      }
    };
    const restart = async () => {
      if (this.stopped) return;
      attempt += 1;
      const delay = Math.min(10_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.stopped) return;
      try {
        await begin(await relist());
      } catch (error) {
        ctx.timeline.record({ kind: "note", level: "warning", message: `watch ${path}: relist failed: ${(error as Error).message}` });
        void restart();
      }
    };
    void begin(resourceVersion);
  }
}
