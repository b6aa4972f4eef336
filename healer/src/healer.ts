/**
 * The healer, wired: inputs (Job and Pod informers, the queue-events stream) → tracker → detector
 * (on a periodic tick, and at once on a reported fault) → work queue keyed by Job UID → reconciler →
 * Kubernetes Events, healer.* events, metrics, decision log. `startHealer(config, deps)` runs it
 * in-process (unit tests with fakes, lab tests with the real API server and Kafka); `main.ts` adds the
 * process concerns (env, signals, exit codes).
 */
import { randomUUID } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { Kafka, logLevel } from "kafkajs";
import {
  ANNOTATIONS,
  HEALER_CANARY_TASK_ID,
  parseQueueEvent,
  QUEUE_EVENTS_TOPIC,
  type QueueEvent,
} from "../../workloads/queue-events/contract.ts";
import { CircuitBreaker, type StreamHealth } from "./breaker.ts";
import { CanaryMonitor } from "./canary.ts";
import { type Clock, exponentialBackoffMs, jittered, systemClock, type TimerHandle } from "./clock.ts";
import type { HealerConfig } from "./config.ts";
import { createLogger, DecisionLog, type Logger } from "./decision-log.ts";
import { detect, isJudged, isSilent, type Verdict } from "./detector.ts";
import { HealerEventPublisher, KafkaQueueEventSink, type QueueEventSink } from "./event-publisher.ts";
import { type ConsumedRecord, type EventStream, type EventStreamFactory, KafkaEventStream, kafkaLogCreator } from "./event-stream.ts";
import { EVENT_REASONS, EventRecorder } from "./events-recorder.ts";
import { createFaultPointHook, type FaultPointHook } from "./fault-point.ts";
import { errorMessage, SupervisedInformer } from "./informer-supervisor.ts";
import { HEALER_ANNOTATIONS, JOB_CONTROLLER_UID_LABELS } from "./job-facts.ts";
import { HttpKubeApi, jobListWatch, type KubeApi, type ListWatchClient, podListWatch } from "./kube-api.ts";
import { HttpKubeTransport } from "./kube-client.ts";
import type { JobJson, PodJson } from "./kube-types.ts";
import { type Probe, type StartedHttpServer, startHttpServer } from "./http-server.ts";
import { LeaderElector } from "./leader-election.ts";
import { createMetrics, type HealerMetrics, JOB_STATES, type JobState } from "./metrics.ts";
import { TokenBucket } from "./rate-limiter.ts";
import { describeEvidence, keysToResume, Reconciler } from "./reconciler.ts";
import { matchesManagedSelector, JobTracker, type TrackedJob } from "./tracker.ts";
import { WorkQueue } from "./work-queue.ts";

export interface HealerDeps {
  kube: KubeApi;
  jobs: ListWatchClient<JobJson>;
  pods: ListWatchClient<PodJson>;
  eventStreams: EventStreamFactory;
  sink: QueueEventSink;
  clock?: Clock;
  logger?: Logger;
  metrics?: HealerMetrics;
  random?: () => number;
  faultPoint?: FaultPointHook;
  /** Identifies this process's canaries; random by default. */
  instanceId?: string;
  /** Serve /healthz, /readyz, /metrics (default true). */
  http?: boolean;
}

export interface StartedHealer {
  readonly config: HealerConfig;
  readonly metrics: HealerMetrics;
  readonly tracker: JobTracker;
  readonly breaker: CircuitBreaker;
  readonly reconciler: Reconciler;
  readonly httpAddress?: { host: string; port: number };
  isLeader(): boolean;
  readiness(): Probe;
  /** Stop remediating, finish the step in flight, commit offsets, release the Lease, close everything. */
  stop(): Promise<void>;
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

function stateOf(entry: TrackedJob, verdict: Verdict): JobState {
  switch (verdict.kind) {
    case "stuck":
      return "stuck";
    case "grace":
      return "grace";
    case "starting":
      return "starting";
    case "finishing":
      return "finishing";
    case "ok":
      return verdict.idle ? "idle" : "ok";
    case "ignored":
      switch (entry.lifecycle) {
        case "suspended":
          return "suspended";
        case "pending-replacement":
          return "replacing";
        case "deleting":
          return "deleting";
        case "complete":
          return "complete";
        case "gave-up":
          return "gave_up";
        default:
          return "failed";
      }
  }
}

const ZOMBIE_EVENT_INTERVAL_MS = 60_000;

export async function startHealer(config: HealerConfig, deps: HealerDeps): Promise<StartedHealer> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = deps.metrics ?? createMetrics();
  const random = deps.random ?? Math.random;
  const instanceId = deps.instanceId ?? randomUUID();
  const identity = config.leaderElection.identity;
  const faultPoint =
    deps.faultPoint ??
    createFaultPointHook(config.faultPoint, undefined, (point) => {
      logger.warn({ faultPoint: point }, "HEALER_FAULT_POINT reached: SIGKILL (test hook)");
      logger.flush();
    });
  const decisions = new DecisionLog(logger);
  const tracker = new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
  const breaker = new CircuitBreaker({ maxLagMessages: config.kafka.maxLagMessages, ...config.breaker });
  const rateLimiter = new TokenBucket(clock, config.rateLimit.perMinute, config.rateLimit.burst);
  const canary = new CanaryMonitor(config.kafka.canaryIntervalMs, config.kafka.canaryTimeoutMs);
  const recorder = new EventRecorder(deps.kube, clock, { component: "healer", instance: identity }, metrics, logger);
  const publisher = new HealerEventPublisher(deps.sink, () => clock.wallMs(), (result, error) => {
    metrics.producedEvents.inc({ result });
    if (error) logger.warn({ err: errorMessage(error) }, "could not produce healer.* event");
  });
  const queue = new WorkQueue(clock, {
    retryBaseMs: config.remediation.retryBaseMs,
    retryMaxMs: config.remediation.retryMaxMs,
    onError: (key, error, retries) => logger.warn({ uid: key, retries, err: errorMessage(error) }, "reconcile failed; retrying with backoff"),
  });

  let stopping = false;
  let lastTickMs = clock.monotonicMs();
  const zombieEventAt = new Map<string, number>();
  /** Jobs whose rejected threshold overrides already got their Event (recorded by the leader only). */
  const overrideEventsReported = new Set<string>();

  // ---- leader election ------------------------------------------------------------------------
  let leading = false;
  /** A new leader looks once (when its caches are synced) for remediations a previous leader left unfinished. */
  let resumeScanPending = false;
  const leader = new LeaderElector({
    api: deps.kube,
    clock,
    namespace: config.leaderElection.leaseNamespace,
    name: config.leaderElection.leaseName,
    identity,
    leaseDurationMs: config.leaderElection.leaseDurationMs,
    renewDeadlineMs: config.leaderElection.renewDeadlineMs,
    retryPeriodMs: config.leaderElection.retryPeriodMs,
    random,
    log: logger,
    onStartedLeading: () => {
      leading = true;
      metrics.leader.set(1);
      // This replica did not consume while it was standby: what it knew from events is stale.
      tracker.resetEventState(clock.monotonicMs());
      processedOffsets.clear();
      noteBreaker(breaker.trip("starting"));
      resumeScanPending = true;
    },
    onStoppedLeading: () => {
      leading = false;
      metrics.leader.set(0);
      noteBreaker(breaker.trip("not-leader"));
      void stopConsumer("lost leadership");
    },
  });
  const isLeader = () => leading && leader.isLeader();

  // ---- reconciler -----------------------------------------------------------------------------
  const reconciler = new Reconciler({
    config,
    clock,
    kube: deps.kube,
    tracker,
    breaker,
    leader: { isLeader },
    rateLimiter,
    recorder,
    publisher,
    decisions,
    metrics,
    faultPoint,
    isStopping: () => stopping,
  });
  const workersDone = queue.run(config.remediation.workers, (key) => reconciler.reconcile(key));

  // ---- informers ------------------------------------------------------------------------------
  const informerLog = { warn: logger.warn.bind(logger), debug: logger.debug.bind(logger) };
  // The same supervision (relist, watch timeouts, back-off) for every informer of the healer.
  const informerTiming = {
    clock,
    relistPeriodMs: config.informer.relistPeriodMs,
    watchTimeoutSeconds: config.informer.watchTimeoutSeconds,
    watchIdleTimeoutMs: config.informer.watchIdleTimeoutMs,
    backoffBaseMs: config.informer.backoffBaseMs,
    backoffMaxMs: config.informer.backoffMaxMs,
    random,
    log: informerLog,
  };
  const jobInformers = config.namespaces.map(
    (namespace) =>
      new SupervisedInformer<JobJson>({
        client: deps.jobs,
        namespace,
        labelSelector: config.managedSelector,
        transform: trimJob,
        ...informerTiming,
        onRestart: (cause) => metrics.informerRestarts.inc({ resource: "jobs", cause }),
        handlers: {
          onUpsert: (job) => {
            if (!matchesManagedSelector(job, config.managedSelector)) return;
            const result = tracker.upsertJob(job, clock.monotonicMs());
            if (!result) return;
            const entry = result.job;
            if (result.newRejections.length > 0) {
              metrics.overridesRejected.inc(result.newRejections.length);
              logger.warn({ uid: entry.uid, job: `${entry.namespace}/${entry.name}`, rejected: result.newRejections }, "per-Job threshold override rejected");
              overrideEventsReported.delete(entry.uid);
            }
            const replacesUid = job.metadata.annotations?.[ANNOTATIONS.replacesUid];
            if (replacesUid && job.metadata.annotations?.[HEALER_ANNOTATIONS.replacementPending] !== undefined && isLeader()) {
              queue.add(replacesUid);
            }
          },
          onDelete: (job) => {
            if (!job.metadata.uid) return;
            tracker.removeJob(job.metadata.uid, clock.monotonicMs());
            overrideEventsReported.delete(job.metadata.uid);
          },
        },
      }),
  );
  const podInformers = config.namespaces.map(
    (namespace) =>
      new SupervisedInformer<PodJson>({
        client: deps.pods,
        namespace,
        // Every pod a Job controller created carries this label.
        labelSelector: JOB_CONTROLLER_UID_LABELS[0],
        transform: trimPod,
        ...informerTiming,
        onRestart: (cause) => metrics.informerRestarts.inc({ resource: "pods", cause }),
        handlers: {
          onUpsert: (pod) => tracker.upsertPod(pod, clock.monotonicMs()),
          onDelete: (pod) => tracker.removePod(pod, clock.monotonicMs()),
        },
      }),
  );
  const informers: Array<SupervisedInformer<JobJson> | SupervisedInformer<PodJson>> = [...jobInformers, ...podInformers];
  let podsSyncedMarked = false;
  const informersSynced = () => informers.every((informer) => informer.hasSynced());

  // ---- event stream ---------------------------------------------------------------------------
  let stream: EventStream | undefined;
  let streamBusy: Promise<void> | undefined;
  let streamFailures = 0;
  let streamRetryAtMs = 0;
  let streamFatal = false;
  let connected = false;
  let assigned: number[] = [];
  const lagByPartition = new Map<number, number>();
  const processedOffsets = new Map<number, bigint>();
  let canaryUnhealthySinceMs: number | undefined;

  const setConnected = (value: boolean) => {
    connected = value;
    metrics.consumerConnected.set(value && assigned.length > 0 ? 1 : 0);
  };

  const onRecord = (record: ConsumedRecord) => {
    const offset = BigInt(record.offset);
    const previous = processedOffsets.get(record.partition);
    if (previous !== undefined && offset <= previous) {
      // Redelivered after a rebalance: already applied; applying it again would look like a REWIND.
      metrics.eventsRedelivered.inc();
      return;
    }
    processedOffsets.set(record.partition, offset);
    metrics.eventsConsumed.inc();
    const parsed = parseQueueEvent(record.value);
    if (!parsed.ok) {
      metrics.eventsInvalid.inc({ reason: parsed.reason });
      return;
    }
    const event = parsed.event;
    if (event.taskId === HEALER_CANARY_TASK_ID) {
      if (event.jobUid === instanceId) {
        const roundTripMs = canary.received(event.seq, record.receivedMs);
        if (roundTripMs !== undefined) metrics.canaryRoundTrip.observe(roundTripMs / 1000);
      }
      return;
    }
    if (event.type.startsWith("healer.")) return;
    metrics.ingestLag.observe(Math.max(0, clock.wallMs() - event.ts) / 1000);
    const outcome = tracker.ingest(event, record.receivedMs);
    switch (outcome.kind) {
      case "unknown-job":
        metrics.eventsInvalid.inc({ reason: "unknown-job" });
        return;
      case "zombie":
        onZombie(event, outcome.currentJob);
        return;
      case "live":
        // A reported fault is acted on at once, not at the next tick.
        if (outcome.becameFaulty) evaluate(outcome.job, clock.monotonicMs());
        return;
      case "duplicate":
        return;
    }
  };

  const onZombie = (event: QueueEvent, current: TrackedJob | undefined) => {
    metrics.eventsZombie.inc();
    const nowMs = clock.monotonicMs();
    const last = zombieEventAt.get(event.jobUid);
    if (last !== undefined && nowMs - last < ZOMBIE_EVENT_INTERVAL_MS) return;
    zombieEventAt.set(event.jobUid, nowMs);
    if (zombieEventAt.size > 10_000) zombieEventAt.delete(zombieEventAt.keys().next().value as string);
    const message = `events still arrive from replaced attempt ${event.attempt} (Job ${event.jobName}, uid ${event.jobUid}): a zombie worker; they do not count as liveness${current ? ` of ${current.name} (attempt ${current.attempt})` : ""}`;
    decisions.record({
      action: "zombie",
      result: "reported",
      uid: event.jobUid,
      job: event.jobName,
      namespace: event.namespace,
      taskId: event.taskId,
      attempt: event.attempt,
      breaker: { state: breaker.state, reasons: breaker.reasons },
      leader: isLeader(),
      dryRun: config.dryRun,
      detail: message,
    });
    if (current && isLeader()) void recorder.record(targetOf(current), "Warning", EVENT_REASONS.zombieWorker, message);
  };

  const startConsumer = () => {
    if (stream || streamBusy || stopping || !isLeader() || !informersSynced()) return;
    if (clock.monotonicMs() < streamRetryAtMs) return;
    const candidate = deps.eventStreams();
    stream = candidate;
    streamFatal = false;
    streamBusy = candidate
      .start({
        onRecord,
        onAssignment: (partitions) => {
          assigned = partitions;
          canary.reset(partitions, clock.monotonicMs());
          canaryUnhealthySinceMs = undefined;
          for (const partition of lagByPartition.keys()) if (!partitions.includes(partition)) lagByPartition.delete(partition);
          setConnected(connected);
        },
        onConnectionChange: (value) => setConnected(value),
        onLag: (partition, lag) => {
          lagByPartition.set(partition, lag);
          metrics.consumerLag.set([...lagByPartition.values()].reduce((sum, value) => sum + value, 0));
        },
        onFatal: (error) => {
          streamFatal = true;
          logger.error({ err: errorMessage(error) }, "queue-events consumer crashed and will not restart by itself");
        },
      })
      .then(() => {
        streamFailures = 0;
        logger.info({ group: config.kafka.groupId, topic: QUEUE_EVENTS_TOPIC }, "consuming queue-events");
      })
      .catch(async (error: unknown) => {
        streamFailures++;
        const delayMs = jittered(exponentialBackoffMs(streamFailures, 1000, 30_000), random);
        streamRetryAtMs = clock.monotonicMs() + delayMs;
        logger.warn({ err: errorMessage(error), failures: streamFailures, retryInMs: Math.round(delayMs) }, "could not start the queue-events consumer");
        await candidate.stop().catch(() => undefined);
        if (stream === candidate) stream = undefined;
      })
      .finally(() => {
        streamBusy = undefined;
      });
  };

  const stopConsumer = async (why: string): Promise<void> => {
    await streamBusy;
    const current = stream;
    stream = undefined;
    if (!current) return;
    streamBusy = current
      .stop()
      .catch((error: unknown) => logger.warn({ err: errorMessage(error) }, "consumer stop failed"))
      .then(() => logger.info({ why }, "stopped consuming queue-events"))
      .finally(() => {
        streamBusy = undefined;
      });
    await streamBusy;
    assigned = [];
    lagByPartition.clear();
    metrics.consumerLag.set(0);
    setConnected(false);
  };

  /** kafkajs can hang after broker maintenance (no error, no records): recreate the consumer. */
  const superviseConsumer = (nowMs: number) => {
    if (!stream || streamBusy) return;
    const canaryHealthy = canary.healthy(nowMs);
    if (canaryHealthy) canaryUnhealthySinceMs = undefined;
    else canaryUnhealthySinceMs ??= nowMs;
    const hung = canaryUnhealthySinceMs !== undefined && nowMs - canaryUnhealthySinceMs >= config.kafka.consumerRestartAfterMs;
    if (streamFatal || hung) {
      metrics.consumerRestarts.inc();
      logger.warn({ fatal: streamFatal, canarySilenceMs: canary.worstSilenceMs(nowMs) }, "recreating the queue-events consumer");
      canaryUnhealthySinceMs = undefined;
      void stopConsumer(streamFatal ? "consumer crashed" : "canary silent: consumer presumed hung");
    }
  };

  // ---- canary ---------------------------------------------------------------------------------
  let nextCanaryMs = 0;
  const sendCanaries = (nowMs: number) => {
    if (!isLeader() || !connected || assigned.length === 0 || nowMs < nextCanaryMs) return;
    nextCanaryMs = nowMs + config.kafka.canaryIntervalMs;
    for (const partition of assigned) {
      const seq = canary.send(partition, nowMs);
      const event: QueueEvent = {
        v: 1,
        type: "heartbeat",
        jobUid: instanceId,
        jobName: identity.slice(0, 253),
        namespace: config.leaderElection.leaseNamespace,
        taskId: HEALER_CANARY_TASK_ID,
        attempt: 0,
        seq,
        ts: Math.round(clock.wallMs()),
      };
      deps.sink.send(event, partition).then(
        () => metrics.producedEvents.inc({ result: "success" }),
        (error: unknown) => {
          metrics.producedEvents.inc({ result: "error" });
          logger.debug({ err: errorMessage(error), partition }, "canary not produced");
        },
      );
    }
  };

  // ---- detection ------------------------------------------------------------------------------
  const noteBreaker = (update: ReturnType<CircuitBreaker["update"]>) => {
    metrics.breakerOpen.set(update.state === "closed" ? 0 : 1);
    if (!update.changed) return;
    metrics.breakerTransitions.inc({ to: update.state });
    logger.warn({ breaker: update.state, previous: update.previous, reasons: update.reasons }, `circuit breaker ${update.state}`);
  };

  const evaluate = (entry: TrackedJob, nowMs: number): Verdict => {
    const verdict = detect(entry, entry.thresholds, nowMs);
    if (verdict.kind !== "stuck") {
      if (entry.episode) {
        if (verdict.kind === "ok" || verdict.kind === "grace") {
          decisions.record({ ...decisionSubject(entry), action: "detect", result: "recovered", detail: `was ${entry.episode.reason}, now ${verdict.kind}` });
        }
        entry.episode = undefined;
      }
      if (verdict.kind !== "ignored") entry.suppressionReported = false;
      return verdict;
    }
    if (!isLeader() || stopping) return verdict;
    if (!breaker.allowsRemediation) {
      if (!entry.suppressionReported) {
        entry.suppressionReported = true;
        metrics.remediations.inc({ action: "replace", result: "suppressed" });
        const message = `${verdict.reason} (${describeEvidence(verdict)}) not acted on: circuit breaker ${breaker.state} (${breaker.reasons.join(", ")})`;
        decisions.record({ ...decisionSubject(entry), ...evidenceOf(verdict, entry), action: "suppress", result: "suppressed", detail: message });
        void recorder.record(targetOf(entry), "Warning", EVENT_REASONS.remediationSuppressed, message);
        void publisher.publish("healer.suppressed", subjectOf(entry), { reason: verdict.reason, message });
      }
      return verdict;
    }
    if (!entry.episode) {
      entry.episode = { reason: verdict.reason, detectedAtMs: nowMs, parked: false };
      metrics.detections.inc({ reason: verdict.reason });
      if (verdict.evidence.silenceMs !== undefined && (verdict.reason === "STOP" || verdict.reason === "STALL")) {
        metrics.detectionSilence.observe((verdict.reason === "STALL" ? (verdict.evidence.noProgressMs ?? 0) : verdict.evidence.silenceMs) / 1000);
      }
      const message = `${verdict.reason}: ${describeEvidence(verdict)} (attempt ${entry.attempt})`;
      decisions.record({ ...decisionSubject(entry), ...evidenceOf(verdict, entry), action: "detect", result: "detected", detail: message });
      const eventReason = verdict.reason === "FAULT" ? EVENT_REASONS.faultReported : EVENT_REASONS.stuckDetected;
      void recorder.record(targetOf(entry), "Warning", eventReason, message);
      void publisher.publish("healer.detected", subjectOf(entry), { reason: verdict.reason, message });
    }
    if (!entry.episode.parked && !queue.isPending(entry.uid)) queue.add(entry.uid);
    return verdict;
  };

  const decisionSubject = (entry: TrackedJob) => ({
    uid: entry.uid,
    job: entry.name,
    namespace: entry.namespace,
    taskId: entry.taskId,
    attempt: entry.attempt,
    breaker: { state: breaker.state, reasons: [...breaker.reasons] },
    leader: isLeader(),
    dryRun: config.dryRun,
  });

  const tick = () => {
    const nowMs = clock.monotonicMs();
    lastTickMs = nowMs;
    if (!podsSyncedMarked && podInformers.every((informer) => informer.hasSynced())) {
      podsSyncedMarked = true;
      tracker.markPodsSynced();
    }
    const counts = new Map<JobState, number>(JOB_STATES.map((state) => [state, 0]));
    let silentJobs = 0;
    let judgedJobs = 0;
    const verdicts: Array<[TrackedJob, Verdict]> = [];
    for (const entry of tracker.all()) {
      const verdict = detect(entry, entry.thresholds, nowMs);
      verdicts.push([entry, verdict]);
      counts.set(stateOf(entry, verdict), (counts.get(stateOf(entry, verdict)) ?? 0) + 1);
      if (isJudged(verdict)) judgedJobs++;
      if (isSilent(verdict)) silentJobs++;
    }
    for (const [state, count] of counts) metrics.jobsTracked.set({ state }, count);

    if (isLeader()) {
      const health: StreamHealth = {
        consumerConnected: connected && stream !== undefined,
        partitionsAssigned: assigned.length,
        lagMessages: [...lagByPartition.values()].reduce((sum, value) => sum + value, 0),
        canaryHealthy: canary.healthy(nowMs),
        silentJobs,
        judgedJobs,
      };
      const update = breaker.update(health, nowMs);
      noteBreaker(update);
      if (update.regrace) {
        // Healthy again after an episode: every Job gets a fresh grace period, nobody is judged on the outage.
        tracker.resetGrace(nowMs);
        for (const entry of tracker.all()) entry.episode = undefined;
      } else {
        for (const [entry, verdict] of verdicts) {
          if (verdict.kind === "stuck" || entry.episode) evaluate(entry, nowMs);
          else if (verdict.kind !== "ignored") entry.suppressionReported = false;
        }
      }
      for (const entry of tracker.all()) {
        if (entry.overrideRejections.length === 0 || overrideEventsReported.has(entry.uid)) continue;
        overrideEventsReported.add(entry.uid);
        void recorder.record(targetOf(entry), "Warning", EVENT_REASONS.overrideRejected, entry.overrideRejections.join("; "));
      }
      if (resumeScanPending && informersSynced()) {
        resumeScanPending = false;
        for (const key of keysToResume(tracker)) queue.add(key);
      }
      startConsumer();
      superviseConsumer(nowMs);
      sendCanaries(nowMs);
    }
    metrics.workQueueDepth.set(queue.length);
  };

  let tickTimer: TimerHandle | undefined;
  const scheduleTick = () => {
    tickTimer = clock.setTimer(() => {
      if (stopping) return;
      try {
        tick();
      } catch (error) {
        logger.error({ err: errorMessage(error) }, "tick failed");
      }
      scheduleTick();
    }, config.tickIntervalMs);
  };

  // ---- start ----------------------------------------------------------------------------------
  for (const informer of informers) informer.start();
  leader.start();
  scheduleTick();

  const readiness = (): Probe => {
    const synced = informersSynced();
    const consuming = !isLeader() || (connected && assigned.length > 0);
    return {
      ok: synced && consuming && !stopping,
      detail: {
        informersSynced: synced,
        leader: isLeader(),
        partitionsAssigned: assigned.length,
        consumerConnected: connected,
        breaker: breaker.state,
        stopping,
      },
    };
  };
  const liveness = (): Probe => {
    const sinceTickMs = clock.monotonicMs() - lastTickMs;
    const ok = sinceTickMs < Math.max(10_000, 10 * config.tickIntervalMs);
    return { ok, detail: { sinceLastTickMs: Math.round(sinceTickMs) } };
  };

  let http: StartedHttpServer | undefined;
  if (deps.http ?? true) {
    try {
      http = await startHttpServer({ host: config.http.host, port: config.http.port, registry: metrics.registry, liveness, readiness });
      logger.info({ address: http.address }, "serving /healthz /readyz /metrics");
    } catch (error) {
      stopping = true;
      tickTimer?.cancel();
      queue.shutDown();
      await leader.stop();
      await Promise.all(informers.map((informer) => informer.stop()));
      throw new Error(`cannot listen on ${config.http.host}:${config.http.port} (LISTEN_HOST / HEALER_HTTP_PORT): ${errorMessage(error)}`);
    }
  }
  logger.info(
    {
      identity,
      namespaces: config.namespaces,
      dryRun: config.dryRun,
      thresholds: config.thresholds,
      faultPoint: config.faultPoint,
    },
    "healer started",
  );

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info({ inFlight: reconciler.inFlightKeys() }, "stopping: no new remediations, finishing the step in flight");
      stopping = true;
      tickTimer?.cancel();
      queue.shutDown();
      await queue.whenIdle();
      await workersDone;
      await stopConsumer("shutdown");
      await leader.stop();
      metrics.leader.set(0);
      await Promise.all(informers.map((informer) => informer.stop()));
      await deps.sink.close().catch(() => undefined);
      await http?.close();
      logger.info("stopped");
    })());

  return {
    config,
    metrics,
    tracker,
    breaker,
    reconciler,
    httpAddress: http?.address,
    isLeader,
    readiness,
    stop,
  };
}

function targetOf(entry: TrackedJob) {
  return { namespace: entry.namespace, name: entry.name, uid: entry.uid };
}

function subjectOf(entry: TrackedJob) {
  return { uid: entry.uid, name: entry.name, namespace: entry.namespace, taskId: entry.taskId, attempt: entry.attempt };
}

function evidenceOf(verdict: Verdict & { kind: "stuck" }, entry: TrackedJob) {
  return {
    reason: verdict.reason,
    silenceMs: verdict.evidence.silenceMs,
    noProgressMs: verdict.evidence.noProgressMs,
    thresholds: entry.thresholds,
  };
}

/**
 * The real dependencies: kubeconfig (KUBECONFIG, ~/.kube/config or the pod's service account — or the
 * one given, e.g. a lab's admin kubeconfig in lab tests), the raw API transport, kafkajs.
 */
export function createProductionDeps(config: HealerConfig, logger: Logger, options: { kubeConfig?: KubeConfig } = {}): HealerDeps {
  const kubeConfig = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) kubeConfig.loadFromDefault();
  const transport = new HttpKubeTransport(kubeConfig, config.apiRequestTimeoutMs);
  const kafka = new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
  });
  return {
    kube: new HttpKubeApi(transport),
    jobs: jobListWatch(transport),
    pods: podListWatch(transport),
    eventStreams: () => new KafkaEventStream(kafka, { groupId: config.kafka.groupId }, systemClock, logger),
    sink: new KafkaQueueEventSink(kafka),
    logger,
  };
}
