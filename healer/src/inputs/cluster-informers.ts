/**
 * The healer's view of the cluster: one supervised Job informer and one Pod informer per managed
 * namespace, feeding the tracker. They keep of each object only its JobFacts / PodFacts, taken as it
 * arrives (the healer re-reads a Job from the API server before acting, so it never needs the rest).
 */
import type { ListWatchClient } from "../kube/kube-api.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import type { Clock } from "../runtime/clock.ts";
import type { HealerConfig } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import { type JobFacts, jobFactsOf, JOB_CONTROLLER_UID_LABELS, matchesManagedSelector, type PodFacts, podFactsOf } from "../state/job-facts.ts";
import { JobTracker } from "../state/tracker.ts";
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
  private readonly jobInformers: SupervisedInformer<JobJson, JobFacts>[];
  private readonly podInformers: SupervisedInformer<PodJson, PodFacts>[];
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
        new SupervisedInformer<JobJson, JobFacts>({
          client: options.jobs,
          namespace,
          labelSelector: config.managedSelector,
          // The API server filters by the selector already; a Job that lost the label is no longer ours.
          transform: (job) => (job.metadata.uid && matchesManagedSelector(job, config.managedSelector) ? jobFactsOf(job) : undefined),
          ...timing,
          onRestart: (cause) => metrics.informerRestarts.inc({ resource: "jobs", cause }),
          handlers: { onUpsert: (job) => this.onJobUpsert(job), onDelete: (job) => this.onJobDelete(job) },
        }),
    );
    this.podInformers = config.namespaces.map(
      (namespace) =>
        new SupervisedInformer<PodJson, PodFacts>({
          client: options.pods,
          namespace,
          // Every pod a Job controller created carries this label.
          labelSelector: JOB_CONTROLLER_UID_LABELS[0],
          transform: podFactsOf,
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

  private all(): Array<SupervisedInformer<JobJson, JobFacts> | SupervisedInformer<PodJson, PodFacts>> {
    return [...this.jobInformers, ...this.podInformers];
  }

  private onJobUpsert(job: JobFacts): void {
    const { tracker, clock, metrics, logger } = this.options;
    const result = tracker.upsertJob(job, clock.monotonicMs());
    const entry = result.job;
    if (result.newRejections.length > 0) {
      metrics.overridesRejected.inc(result.newRejections.length);
      logger.warn({ uid: entry.uid, job: `${entry.namespace}/${entry.name}`, rejected: result.newRejections }, "per-Job threshold override rejected");
      this.options.onOverridesRejected(entry.uid);
    }
    if (job.replacesUid && job.replacementPending) this.options.onReplacementPending(job.replacesUid);
  }

  private onJobDelete(job: JobFacts): void {
    this.options.tracker.removeJob(job.uid, this.options.clock.monotonicMs());
    this.options.onJobDeleted(job.uid);
  }
}
