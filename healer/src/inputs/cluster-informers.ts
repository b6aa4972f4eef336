/**
 * The healer's view of the cluster: one supervised Job informer and one Pod informer per managed
 * namespace, feeding the tracker. What they cache is trimmed to what detection reads (the healer
 * re-reads a Job from the API server before acting, so it never needs the pod template here).
 */
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import type { ListWatchClient } from "../kube/kube-api.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import type { Clock } from "../runtime/clock.ts";
import type { HealerConfig } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import { HEALER_ANNOTATIONS, JOB_CONTROLLER_UID_LABELS } from "../state/job-facts.ts";
import { JobTracker } from "../state/tracker.ts";
import { matchesManagedSelector } from "../state/job-facts.ts";
import { SupervisedInformer } from "./informer-supervisor.ts";

export interface ClusterInformersOptions {
  config: HealerConfig;
  jobs: ListWatchClient<JobJson>;
  pods: ListWatchClient<PodJson>;
  tracker: JobTracker;
  clock: Clock;
  random: () => number;
  metrics: HealerMetrics;
  logger: Logger;
  /** A Job's threshold overrides were rejected anew (its OverrideRejected Event is due again). */
  onOverridesRejected(uid: string): void;
  onJobDeleted(uid: string): void;
  /** A replacement still marked pending appeared: the remediation of `replacesUid` has steps left. */
  onReplacementPending(replacesUid: string): void;
}

export class ClusterInformers {
  private readonly jobInformers: SupervisedInformer<JobJson>[];
  private readonly podInformers: SupervisedInformer<PodJson>[];
  private podsSyncedMarked = false;

  constructor(private readonly options: ClusterInformersOptions) {
    const { config, clock, logger, metrics } = options;
    // The same supervision (relist, watch timeouts, back-off) for every informer of the healer.
    const timing = {
      clock,
      relistPeriodMs: config.informer.relistPeriodMs,
      watchTimeoutSeconds: config.informer.watchTimeoutSeconds,
      watchIdleTimeoutMs: config.informer.watchIdleTimeoutMs,
      backoffBaseMs: config.informer.backoffBaseMs,
      backoffMaxMs: config.informer.backoffMaxMs,
      random: options.random,
      log: { warn: logger.warn.bind(logger), debug: logger.debug.bind(logger) },
    };
    this.jobInformers = config.namespaces.map(
      (namespace) =>
        new SupervisedInformer<JobJson>({
          client: options.jobs,
          namespace,
          labelSelector: config.managedSelector,
          transform: trimJob,
          ...timing,
          onRestart: (cause) => metrics.informerRestarts.inc({ resource: "jobs", cause }),
          handlers: { onUpsert: (job) => this.onJobUpsert(job), onDelete: (job) => this.onJobDelete(job) },
        }),
    );
    this.podInformers = config.namespaces.map(
      (namespace) =>
        new SupervisedInformer<PodJson>({
          client: options.pods,
          namespace,
          // Every pod a Job controller created carries this label.
          labelSelector: JOB_CONTROLLER_UID_LABELS[0],
          transform: trimPod,
          ...timing,
          onRestart: (cause) => metrics.informerRestarts.inc({ resource: "pods", cause }),
          handlers: {
            onUpsert: (pod) => options.tracker.upsertPod(pod, clock.monotonicMs()),
            onDelete: (pod) => options.tracker.removePod(pod, clock.monotonicMs()),
          },
        }),
    );
  }

  start(): void {
    for (const informer of this.all()) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((informer) => informer.stop()));
  }

  synced(): boolean {
    return this.all().every((informer) => informer.hasSynced());
  }

  /** Tells the tracker once when every pod informer has listed (see JobTracker.markPodsSynced). */
  markPodsSyncedOnce(): void {
    if (this.podsSyncedMarked || !this.podInformers.every((informer) => informer.hasSynced())) return;
    this.podsSyncedMarked = true;
    this.options.tracker.markPodsSynced();
  }

  private all(): Array<SupervisedInformer<JobJson> | SupervisedInformer<PodJson>> {
    return [...this.jobInformers, ...this.podInformers];
  }

  private onJobUpsert(job: JobJson): void {
    const { config, tracker, clock, metrics, logger } = this.options;
    if (!matchesManagedSelector(job, config.managedSelector)) return;
    const result = tracker.upsertJob(job, clock.monotonicMs());
    if (!result) return;
    const entry = result.job;
    if (result.newRejections.length > 0) {
      metrics.overridesRejected.inc(result.newRejections.length);
      logger.warn({ uid: entry.uid, job: `${entry.namespace}/${entry.name}`, rejected: result.newRejections }, "per-Job threshold override rejected");
      this.options.onOverridesRejected(entry.uid);
    }
    const replacesUid = job.metadata.annotations?.[ANNOTATIONS.replacesUid];
    if (replacesUid && job.metadata.annotations?.[HEALER_ANNOTATIONS.replacementPending] !== undefined) {
      this.options.onReplacementPending(replacesUid);
    }
  }

  private onJobDelete(job: JobJson): void {
    if (!job.metadata.uid) return;
    this.options.tracker.removeJob(job.metadata.uid, this.options.clock.monotonicMs());
    this.options.onJobDeleted(job.metadata.uid);
  }
}

/** What the informer keeps per Job: the healer never needs the pod template from the cache (it re-reads before acting). */
function trimJob(job: JobJson): JobJson {
  const annotations = { ...(job.metadata.annotations ?? {}) };
  delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  return {
    metadata: {
      name: job.metadata.name,
      namespace: job.metadata.namespace,
      uid: job.metadata.uid,
      resourceVersion: job.metadata.resourceVersion,
      creationTimestamp: job.metadata.creationTimestamp,
      deletionTimestamp: job.metadata.deletionTimestamp,
      labels: job.metadata.labels,
      annotations,
    },
    spec: { suspend: job.spec?.suspend, parallelism: job.spec?.parallelism },
    status: {
      conditions: job.status?.conditions?.map(({ type, status, reason }) => ({ type, status, reason })),
      active: job.status?.active,
      ready: job.status?.ready,
      failed: job.status?.failed,
      succeeded: job.status?.succeeded,
      terminating: job.status?.terminating,
      startTime: job.status?.startTime,
    },
  };
}

function trimPod(pod: PodJson): PodJson {
  const labels: Record<string, string> = {};
  for (const key of JOB_CONTROLLER_UID_LABELS) {
    const value = pod.metadata.labels?.[key];
    if (value) labels[key] = value;
  }
  return {
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      uid: pod.metadata.uid,
      resourceVersion: pod.metadata.resourceVersion,
      deletionTimestamp: pod.metadata.deletionTimestamp,
      labels,
      ownerReferences: pod.metadata.ownerReferences?.filter((owner) => owner.controller && owner.kind === "Job"),
    },
    spec: { terminationGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds },
    status: {
      phase: pod.status?.phase,
      conditions: pod.status?.conditions?.map(({ type, status }) => ({ type, status })),
    },
  };
}
