/**
 * The healer, wired — the controller pipeline, one folder per stage:
 *   inputs/      Job and Pod informers, the queue-events intake and its consumer supervision
 *   state/       the tracker: what the healer knows about every managed Job
 *   detection/   verdicts (detector), the circuit breaker, stuck-Job episodes, zombie workers
 *   remediation/ the work queue keyed by Job UID and the idempotent reconciler that replaces Jobs
 *   outputs/     Kubernetes Events, healer.* events, metrics, the decision log
 *   runtime/     config, clock, logger, leader election, health endpoints, fault points
 *   kube/        the Kubernetes API client
 * `startHealer(config, deps)` runs it in-process (unit tests with fakes, lab tests with the real API
 * server and Kafka); `main.ts` adds the process concerns (env, signals, exit codes).
 */
import { randomUUID } from "node:crypto";
import { CircuitBreaker } from "./detection/breaker.ts";
import { DetectionStage } from "./detection/detection-stage.ts";
import { ZombieReporter } from "./detection/zombie-workers.ts";
import { CanaryMonitor } from "./inputs/canary.ts";
import { ClusterInformers } from "./inputs/cluster-informers.ts";
import type { EventStreamFactory } from "./inputs/event-stream.ts";
import { EventStreamSupervisor } from "./inputs/event-stream-supervisor.ts";
import { QueueEventIntake } from "./inputs/queue-event-intake.ts";
import type { KubeApi, ListWatchClient } from "./kube/kube-api.ts";
import type { JobJson, PodJson } from "./kube/kube-types.ts";
import { DecisionLog } from "./outputs/decision-log.ts";
import { HealerEventPublisher, type QueueEventSink } from "./outputs/event-publisher.ts";
import { EventRecorder } from "./outputs/events-recorder.ts";
import { createMetrics, type HealerMetrics } from "./outputs/metrics.ts";
import { OverrideRejectionReporter } from "./outputs/override-rejections.ts";
import { TokenBucket } from "./remediation/rate-limiter.ts";
import { keysToResume, Reconciler } from "./remediation/reconciler.ts";
import { WorkQueue } from "./remediation/work-queue.ts";
import { type Clock, systemClock, type TimerHandle } from "./runtime/clock.ts";
import type { HealerConfig } from "./runtime/config.ts";
import { errorMessage } from "./runtime/errors.ts";
import { createFaultPointHook, type FaultPointHook } from "./runtime/fault-point.ts";
import { type Probe, type StartedHttpServer, startHttpServer } from "./runtime/http-server.ts";
import { LeaderElector } from "./runtime/leader-election.ts";
import { createLogger, type Logger } from "./runtime/logger.ts";
import { JobTracker } from "./state/tracker.ts";

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

export async function startHealer(config: HealerConfig, deps: HealerDeps): Promise<StartedHealer> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = deps.metrics ?? createMetrics();
  const random = deps.random ?? Math.random;
  const instanceId = deps.instanceId ?? randomUUID();
  const faultPoint = deps.faultPoint ?? createFaultPointHook(config.faultPoint, undefined, () => logFaultPoint(logger, config));
  const { decisions, tracker, breaker, canary, recorder, publisher, overrides, queue } = createSharedParts(config, deps, clock, logger, metrics);

  let stopping = false;
  let leading = false;
  /** A new leader looks once (when its caches are synced) for remediations a previous leader left unfinished. */
  let resumeScanPending = false;
  const isLeader = () => leading && leader.isLeader();
  const isStopping = () => stopping;

  const rateLimiter = new TokenBucket(clock, config.rateLimit.perMinute, config.rateLimit.burst);
  const reconciler = new Reconciler({
    config, clock, kube: deps.kube, tracker, breaker, leader: { isLeader }, rateLimiter, recorder, publisher, decisions, metrics, faultPoint, isStopping,
  });
  const workersDone = queue.run(config.remediation.workers, (key) => reconciler.reconcile(key));
  const detection = new DetectionStage({ config, tracker, breaker, metrics, logger, decisions, recorder, publisher, isLeader, isStopping, remediation: queue });
  const zombies = new ZombieReporter({ clock, decisions, recorder, breaker, isLeader, dryRun: config.dryRun });
  const intake = new QueueEventIntake({
    tracker, canary, metrics, clock, instanceId,
    onZombie: (event, current) => zombies.report(event, current),
    onBecameFaulty: (job) => detection.evaluate(job, clock.monotonicMs()),
  });
  const informers = new ClusterInformers({
    config, jobs: deps.jobs, pods: deps.pods, tracker, clock, random, metrics, logger,
    onOverridesRejected: (uid) => overrides.forget(uid),
    onJobDeleted: (uid) => overrides.forget(uid),
    onReplacementPending: (replacesUid) => {
      if (isLeader()) queue.add(replacesUid);
    },
  });
  const consumer = new EventStreamSupervisor({
    config, eventStreams: deps.eventStreams, sink: deps.sink, canary, clock, random, metrics, logger, instanceId,
    onRecord: intake.onRecord,
    isLeader,
    mayConsume: () => !stopping && isLeader() && informers.synced(),
  });
  const leader = createLeaderElector(config, deps.kube, clock, random, logger, {
    onStartedLeading: () => {
      leading = true;
      metrics.leader.set(1);
      // This replica did not consume while it was standby: what it knew from events is stale.
      tracker.resetEventState(clock.monotonicMs());
      intake.resetOffsets();
      detection.noteBreaker(breaker.trip("starting"));
      resumeScanPending = true;
    },
    onStoppedLeading: () => {
      leading = false;
      metrics.leader.set(0);
      detection.noteBreaker(breaker.trip("not-leader"));
      void consumer.stop("lost leadership");
    },
  });

  let lastTickMs = clock.monotonicMs();
  const tick = () => {
    const nowMs = clock.monotonicMs();
    lastTickMs = nowMs;
    informers.markPodsSyncedOnce();
    const leaderNow = isLeader();
    detection.tick(nowMs, leaderNow ? () => consumer.health(nowMs) : undefined);
    if (leaderNow) {
      overrides.reportNew(tracker.all());
      if (resumeScanPending && informers.synced()) {
        resumeScanPending = false;
        for (const key of keysToResume(tracker)) queue.add(key);
      }
      consumer.start();
      consumer.supervise(nowMs);
      consumer.sendCanaries(nowMs);
    }
    metrics.workQueueDepth.set(queue.length);
  };
  const ticks = scheduleTicks(clock, config.tickIntervalMs, tick, isStopping, logger);

  informers.start();
  leader.start();
  ticks.start();

  const { readiness, liveness } = healthProbes(config, clock, { informers, consumer, breaker, isLeader, isStopping, lastTickMs: () => lastTickMs });
  const http = !(deps.http ?? true)
    ? undefined
    : await serveHealth(config, metrics, logger, { liveness, readiness }, async () => {
        stopping = true;
        ticks.cancel();
        queue.shutDown();
        await leader.stop();
        await informers.stop();
      });
  logger.info({ identity: config.leaderElection.identity, namespaces: config.namespaces, dryRun: config.dryRun, thresholds: config.thresholds, faultPoint: config.faultPoint }, "healer started");

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info({ inFlight: reconciler.inFlightKeys() }, "stopping: no new remediations, finishing the step in flight");
      stopping = true;
      ticks.cancel();
      queue.shutDown();
      await queue.whenIdle();
      await workersDone;
      await consumer.stop("shutdown");
      await leader.stop();
      metrics.leader.set(0);
      await informers.stop();
      await deps.sink.close().catch(() => undefined);
      await http?.close();
      logger.info("stopped");
    })());

  return { config, metrics, tracker, breaker, reconciler, httpAddress: http?.address, isLeader, readiness, stop };
}

/** The periodic tick: one at a time, never after stop; a failing tick is logged and the next one still runs. */
function scheduleTicks(clock: Clock, intervalMs: number, tick: () => void, isStopping: () => boolean, logger: Logger) {
  let timer: TimerHandle | undefined;
  const schedule = () => {
    timer = clock.setTimer(() => {
      if (isStopping()) return;
      try {
        tick();
      } catch (error) {
        logger.error({ err: errorMessage(error) }, "tick failed");
      }
      schedule();
    }, intervalMs);
  };
  return { start: schedule, cancel: () => timer?.cancel() };
}

function logFaultPoint(logger: Logger, config: HealerConfig): void {
  logger.warn({ faultPoint: config.faultPoint }, "HEALER_FAULT_POINT reached: SIGKILL (test hook)");
  logger.flush();
}

function createLeaderElector(
  config: HealerConfig,
  api: KubeApi,
  clock: Clock,
  random: () => number,
  logger: Logger,
  handlers: { onStartedLeading(): void; onStoppedLeading(): void },
): LeaderElector {
  return new LeaderElector({
    api,
    clock,
    random,
    log: logger,
    namespace: config.leaderElection.leaseNamespace,
    name: config.leaderElection.leaseName,
    identity: config.leaderElection.identity,
    leaseDurationMs: config.leaderElection.leaseDurationMs,
    renewDeadlineMs: config.leaderElection.renewDeadlineMs,
    retryPeriodMs: config.leaderElection.retryPeriodMs,
    ...handlers,
  });
}

/** /healthz, /readyz, /metrics; when the port cannot be bound, undoes the start (`abandon`) and says which setting to change. */
async function serveHealth(
  config: HealerConfig,
  metrics: HealerMetrics,
  logger: Logger,
  probes: { liveness(): Probe; readiness(): Probe },
  abandon: () => Promise<void>,
): Promise<StartedHttpServer> {
  try {
    const http = await startHttpServer({ host: config.http.host, port: config.http.port, registry: metrics.registry, ...probes });
    logger.info({ address: http.address }, "serving /healthz /readyz /metrics");
    return http;
  } catch (error) {
    await abandon();
    throw new Error(`cannot listen on ${config.http.host}:${config.http.port} (LISTEN_HOST / HEALER_HTTP_PORT): ${errorMessage(error)}`);
  }
}

/** The parts every stage shares: the tracker, the breaker, the outputs and the work queue. */
function createSharedParts(config: HealerConfig, deps: HealerDeps, clock: Clock, logger: Logger, metrics: HealerMetrics) {
  const decisions = new DecisionLog(logger);
  const tracker = new JobTracker({ defaults: config.thresholds, canaryTimeoutMs: config.kafka.canaryTimeoutMs });
  const breaker = new CircuitBreaker({ maxLagMessages: config.kafka.maxLagMessages, ...config.breaker });
  const canary = new CanaryMonitor(config.kafka.canaryIntervalMs, config.kafka.canaryTimeoutMs);
  const recorder = new EventRecorder(deps.kube, clock, { component: "healer", instance: config.leaderElection.identity }, metrics, logger);
  const publisher = new HealerEventPublisher(deps.sink, () => clock.wallMs(), (result, error) => {
    metrics.producedEvents.inc({ result });
    if (error) logger.warn({ err: errorMessage(error) }, "could not produce healer.* event");
  });
  const overrides = new OverrideRejectionReporter(recorder);
  const queue = new WorkQueue(clock, {
    retryBaseMs: config.remediation.retryBaseMs,
    retryMaxMs: config.remediation.retryMaxMs,
    onError: (key, error, retries) => logger.warn({ uid: key, retries, err: errorMessage(error) }, "reconcile failed; retrying with backoff"),
  });

  return { decisions, tracker, breaker, canary, recorder, publisher, overrides, queue };
}

/** /readyz: synced, and the leader consumes; /healthz: the tick still runs. */
function healthProbes(
  config: HealerConfig,
  clock: Clock,
  parts: {
    informers: ClusterInformers;
    consumer: EventStreamSupervisor;
    breaker: CircuitBreaker;
    isLeader(): boolean;
    isStopping(): boolean;
    lastTickMs(): number;
  },
): { readiness(): Probe; liveness(): Probe } {
  const { informers, consumer, breaker, isLeader } = parts;
  const readiness = (): Probe => {
    const synced = informers.synced();
    const stopping = parts.isStopping();
    const consuming = !isLeader() || (consumer.isConnected && consumer.partitionsAssigned > 0);
    return {
      ok: synced && consuming && !stopping,
      detail: {
        informersSynced: synced,
        leader: isLeader(),
        partitionsAssigned: consumer.partitionsAssigned,
        consumerConnected: consumer.isConnected,
        breaker: breaker.state,
        stopping,
      },
    };
  };
  const liveness = (): Probe => {
    const sinceTickMs = clock.monotonicMs() - parts.lastTickMs();
    return { ok: sinceTickMs < Math.max(10_000, 10 * config.tickIntervalMs), detail: { sinceLastTickMs: Math.round(sinceTickMs) } };
  };
  return { readiness, liveness };
}
