/**
 * Keeps the queue-events consumer running while this replica leads: starts it once the informers have
 * synced, retries a failed start with jittered backoff, recreates a consumer that crashed or hangs
 * (its canaries stop coming back), and sends the canaries that prove the stream end to end. Its
 * connection, assignment, lag and canary state are what the circuit breaker and /readyz read.
 */
import { HEALER_CANARY_TASK_ID, QUEUE_EVENTS_TOPIC, type QueueEvent } from "../../../workloads/queue-events/contract.ts";
import type { QueueEventSink } from "../outputs/event-publisher.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import { type Clock, exponentialBackoffMs, jittered } from "../runtime/clock.ts";
import type { HealerConfig } from "../runtime/config.ts";
import { errorMessage } from "../runtime/errors.ts";
import type { Logger } from "../runtime/logger.ts";
import type { CanaryMonitor } from "./canary.ts";
import type { ConsumedRecord, EventStream, EventStreamFactory } from "./event-stream.ts";

export interface EventStreamSupervisorOptions {
  config: HealerConfig;
  eventStreams: EventStreamFactory;
  sink: QueueEventSink;
  canary: CanaryMonitor;
  clock: Clock;
  random: () => number;
  metrics: HealerMetrics;
  logger: Logger;
  instanceId: string;
  onRecord(record: ConsumedRecord): void;
  isLeader(): boolean;
  /** Leading, synced and not stopping: a consumer may run. */
  mayConsume(): boolean;
}

/** The stream's side of the breaker's StreamHealth. */
export interface ConsumerHealth {
  consumerConnected: boolean;
  partitionsAssigned: number;
  lagMessages: number;
  canaryHealthy: boolean;
}

export class EventStreamSupervisor {
  private stream: EventStream | undefined;
  private busy: Promise<void> | undefined;
  private failures = 0;
  private retryAtMs = 0;
  private fatal = false;
  private connected = false;
  private assigned: number[] = [];
  private readonly lagByPartition = new Map<number, number>();
  private canaryUnhealthySinceMs: number | undefined;
  private nextCanaryMs = 0;

  constructor(private readonly options: EventStreamSupervisorOptions) {}

  get isConnected(): boolean {
    return this.connected;
  }

  get partitionsAssigned(): number {
    return this.assigned.length;
  }

  health(nowMs: number): ConsumerHealth {
    return {
      consumerConnected: this.connected && this.stream !== undefined,
      partitionsAssigned: this.assigned.length,
      lagMessages: this.totalLag(),
      canaryHealthy: this.options.canary.healthy(nowMs),
    };
  }

  start(): void {
    const { clock, logger, config } = this.options;
    if (this.stream || this.busy || !this.options.mayConsume()) return;
    if (clock.monotonicMs() < this.retryAtMs) return;
    const candidate = this.options.eventStreams();
    this.stream = candidate;
    this.fatal = false;
    this.busy = candidate
      .start({
        onRecord: this.options.onRecord,
        onAssignment: (partitions) => this.onAssignment(partitions),
        onConnectionChange: (value) => this.setConnected(value),
        onLag: (partition, lag) => {
          this.lagByPartition.set(partition, lag);
          this.options.metrics.consumerLag.set(this.totalLag());
        },
        onFatal: (error) => {
          this.fatal = true;
          logger.error({ err: errorMessage(error) }, "queue-events consumer crashed and will not restart by itself");
        },
      })
      .then(() => {
        this.failures = 0;
        logger.info({ group: config.kafka.groupId, topic: QUEUE_EVENTS_TOPIC }, "consuming queue-events");
      })
      .catch(async (error: unknown) => {
        this.failures++;
        const delayMs = jittered(exponentialBackoffMs(this.failures, 1000, 30_000), this.options.random);
        this.retryAtMs = clock.monotonicMs() + delayMs;
        logger.warn({ err: errorMessage(error), failures: this.failures, retryInMs: Math.round(delayMs) }, "could not start the queue-events consumer");
        await candidate.stop().catch(() => undefined);
        if (this.stream === candidate) this.stream = undefined;
      })
      .finally(() => {
        this.busy = undefined;
      });
  }

  async stop(why: string): Promise<void> {
    await this.busy;
    const current = this.stream;
    this.stream = undefined;
    if (!current) return;
    const { logger, metrics } = this.options;
    this.busy = current
      .stop()
      .catch((error: unknown) => logger.warn({ err: errorMessage(error) }, "consumer stop failed"))
      .then(() => logger.info({ why }, "stopped consuming queue-events"))
      .finally(() => {
        this.busy = undefined;
      });
    await this.busy;
    this.assigned = [];
    this.lagByPartition.clear();
    metrics.consumerLag.set(0);
    this.setConnected(false);
  }

  /** kafkajs can hang after broker maintenance (no error, no records): recreate the consumer. */
  supervise(nowMs: number): void {
    if (!this.stream || this.busy) return;
    const { canary, config, metrics, logger } = this.options;
    if (canary.healthy(nowMs)) this.canaryUnhealthySinceMs = undefined;
    else this.canaryUnhealthySinceMs ??= nowMs;
    const hung = this.canaryUnhealthySinceMs !== undefined && nowMs - this.canaryUnhealthySinceMs >= config.kafka.consumerRestartAfterMs;
    if (this.fatal || hung) {
      metrics.consumerRestarts.inc();
      logger.warn({ fatal: this.fatal, canarySilenceMs: canary.worstSilenceMs(nowMs) }, "recreating the queue-events consumer");
      this.canaryUnhealthySinceMs = undefined;
      void this.stop(this.fatal ? "consumer crashed" : "canary silent: consumer presumed hung");
    }
  }

  /** One canary per assigned partition every canary interval; the intake reports their return. */
  sendCanaries(nowMs: number): void {
    const { config, canary, clock, metrics, logger } = this.options;
    if (!this.options.isLeader() || !this.connected || this.assigned.length === 0 || nowMs < this.nextCanaryMs) return;
    this.nextCanaryMs = nowMs + config.kafka.canaryIntervalMs;
    for (const partition of this.assigned) {
      const event: QueueEvent = {
        v: 1,
        type: "heartbeat",
        jobUid: this.options.instanceId,
        jobName: config.leaderElection.identity.slice(0, 253),
        namespace: config.leaderElection.leaseNamespace,
        taskId: HEALER_CANARY_TASK_ID,
        attempt: 0,
        seq: canary.send(partition, nowMs),
        ts: Math.round(clock.wallMs()),
      };
      this.options.sink.send(event, partition).then(
        () => metrics.producedEvents.inc({ result: "success" }),
        (error: unknown) => {
          metrics.producedEvents.inc({ result: "error" });
          logger.debug({ err: errorMessage(error), partition }, "canary not produced");
        },
      );
    }
  }

  private onAssignment(partitions: number[]): void {
    this.assigned = partitions;
    this.options.canary.reset(partitions, this.options.clock.monotonicMs());
    this.canaryUnhealthySinceMs = undefined;
    for (const partition of this.lagByPartition.keys()) if (!partitions.includes(partition)) this.lagByPartition.delete(partition);
    this.setConnected(this.connected);
  }

  private setConnected(value: boolean): void {
    this.connected = value;
    this.options.metrics.consumerConnected.set(value && this.assigned.length > 0 ? 1 : 0);
  }

  private totalLag(): number {
    return [...this.lagByPartition.values()].reduce((sum, value) => sum + value, 0);
  }
}
