/**
 * Prometheus metrics: prefix `healer_`, base units (seconds, not ms), no per-Job labels (10,000 Jobs
 * must not become 10,000 series). One Registry per healer instance, so in-process tests can run
 * several without the global registry's name clashes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { DETECTION_REASONS } from "../state/tracked-job.ts";

export const JOB_STATES = [
  "starting",
  "grace",
  "ok",
  "idle",
  "stuck",
  "finishing",
  "suspended",
  "replacing",
  "deleting",
  "complete",
  "failed",
  "gave_up",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export type RemediationAction = "replace" | "give-up" | "resume";
export type RemediationResult =
  | "success"
  | "error"
  | "suppressed"
  | "rate-limited"
  | "backoff"
  | "dry-run"
  | "not-leader"
  | "recovered"
  | "skipped"
  | "stalled";

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "healer_" });
  const r = [registry];
  const metrics = {
    registry,
    eventsConsumed: new Counter({ name: "healer_events_consumed_total", help: "queue-events records consumed", registers: r }),
    eventsInvalid: new Counter({
      name: "healer_events_invalid_total",
      help: "queue-events records skipped: empty, oversized, not-json, schema, unknown-job",
      labelNames: ["reason"],
      registers: r,
    }),
    eventsZombie: new Counter({
      name: "healer_zombie_events_total",
      help: "events from an attempt that was replaced or is being torn down (never counted as liveness)",
      registers: r,
    }),
    eventsRedelivered: new Counter({
      name: "healer_events_redelivered_total",
      help: "records at or below an offset already processed (consumer rebalance), skipped",
      registers: r,
    }),
    jobsTracked: new Gauge({ name: "healer_jobs_tracked", help: "managed Jobs tracked, by state", labelNames: ["state"], registers: r }),
    detections: new Counter({ name: "healer_detections_total", help: "stuck or faulty Jobs detected, by reason", labelNames: ["reason"], registers: r }),
    detectionSilence: new Histogram({
      name: "healer_detection_silence_seconds",
      help: "silence of a Job when it was detected stuck (STOP/STALL)",
      buckets: [1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600],
      registers: r,
    }),
    remediations: new Counter({
      name: "healer_remediations_total",
      help: "remediation decisions, by action and result",
      labelNames: ["action", "result"],
      registers: r,
    }),
    remediationDuration: new Histogram({
      name: "healer_remediation_duration_seconds",
      help: "from detection to the replacement being activated",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: r,
    }),
    ingestLag: new Histogram({
      name: "healer_ingest_lag_seconds",
      help: "receipt time minus the producer's ts (clocks differ: for trends, never for decisions)",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: r,
    }),
    canaryRoundTrip: new Histogram({
      name: "healer_canary_round_trip_seconds",
      help: "produce-to-consume time of the healer's own canary events (one clock: exact)",
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: r,
    }),
    breakerOpen: new Gauge({ name: "healer_breaker_open", help: "1 while the circuit breaker suppresses remediations (open or settling)", registers: r }),
    breakerTransitions: new Counter({
      name: "healer_breaker_transitions_total",
      help: "circuit breaker state changes, by new state",
      labelNames: ["to"],
      registers: r,
    }),
    budgetExhausted: new Counter({ name: "healer_budget_exhausted_total", help: "tasks marked GaveUp after their restart budget", registers: r }),
    consumerConnected: new Gauge({ name: "healer_consumer_connected", help: "1 while the queue-events consumer is in its group with partitions", registers: r }),
    consumerLag: new Gauge({ name: "healer_consumer_lag_messages", help: "queue-events consumer lag, summed over partitions", registers: r }),
    leader: new Gauge({ name: "healer_leader", help: "1 while this replica holds the Lease", registers: r }),
    informerRestarts: new Counter({
      name: "healer_informer_restarts_total",
      help: "informer restarts, by resource and cause (error, watchdog, expired)",
      labelNames: ["resource", "cause"],
      registers: r,
    }),
    overridesRejected: new Counter({
      name: "healer_overrides_rejected_total",
      help: "per-Job threshold annotations rejected (below 3x heartbeat or unparsable)",
      registers: r,
    }),
    producedEvents: new Counter({
      name: "healer_events_produced_total",
      help: "healer.* and canary events produced, by result",
      labelNames: ["result"],
      registers: r,
    }),
    kubeEvents: new Counter({ name: "healer_kube_events_total", help: "Kubernetes Events recorded, by result", labelNames: ["result"], registers: r }),
    workQueueDepth: new Gauge({ name: "healer_work_queue_depth", help: "keys waiting in the work queue", registers: r }),
    consumerRestarts: new Counter({ name: "healer_consumer_restarts_total", help: "queue-events consumer recreated (hung or crashed)", registers: r }),
  };
  for (const reason of DETECTION_REASONS) metrics.detections.inc({ reason }, 0);
  for (const state of JOB_STATES) metrics.jobsTracked.set({ state }, 0);
  metrics.breakerOpen.set(1);
  return metrics;
}

export type HealerMetrics = ReturnType<typeof createMetrics>;
