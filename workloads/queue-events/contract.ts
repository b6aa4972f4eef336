/**
 * The queue-events contract: the one schema for topic `queue-events`, imported by every producer and
 * consumer (loader, healer, harness). Version 1. Record key = task id, value = JSON.
 *
 * Consumers never throw on bad input: `parseQueueEvent` returns a typed result with a reason that
 * callers count (e.g. `healer_events_invalid_total{reason}`) and skip.
 */
import { z } from "zod";
import { parseJsonRecord, type RecordParseResult } from "./json-record.ts";

export type { InvalidReason } from "./json-record.ts";

export const QUEUE_EVENTS_TOPIC = "queue-events";
export const QUEUE_EVENTS_VERSION = 1;

/**
 * 64 KiB: real events are a few hundred bytes; anything far larger is garbage or an attack and is
 * rejected before JSON.parse, so a 1 MiB record costs a length check, not a parse.
 */
export const MAX_EVENT_BYTES = 64 * 1024;

export const WORKER_EVENT_TYPES = ["started", "heartbeat", "progress", "idle", "error", "completed"] as const;
export const HEALER_EVENT_TYPES = ["healer.detected", "healer.replaced", "healer.suppressed"] as const;
export const EVENT_TYPES = [...WORKER_EVENT_TYPES, ...HEALER_EVENT_TYPES] as const;

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;

/**
 * The fields that name a loader Job and its task: one rule for each, in every record that carries it
 * (these events, and the loader's ledger and data records in workloads/ledger/).
 */
export const JOB_FIELDS = {
  jobUid: z.string().min(1).max(64),
  jobName: z.string().min(1).max(253),
  /** Stable across replacements: `loader-3` keeps its task id when the healer creates `loader-3-r1`. */
  taskId: z.string().min(1).max(253),
  /** 0 for the original Job, N for the healer's N-th replacement. */
  attempt: z.number().int().min(0),
};

export const queueEventSchema = z
  .object({
    v: z.literal(QUEUE_EVENTS_VERSION),
    type: z.enum(EVENT_TYPES),
    /** UID of the Job that emitted (or, for healer.* events, that the healer acted on). */
    jobUid: JOB_FIELDS.jobUid,
    jobName: JOB_FIELDS.jobName,
    namespace: z.string().min(1).max(63),
    taskId: JOB_FIELDS.taskId,
    attempt: JOB_FIELDS.attempt,
    /** Per-attempt monotonically increasing sequence of this event stream (not of data records). */
    seq: z.number().int().min(0),
    /** Producer's wall clock, ms since epoch. Feeds lag metrics only: clocks differ across hosts. */
    ts: z.number().int().min(0),
    /** Data records acknowledged so far by this attempt (loaders) — what STALL detection watches. */
    progress: z.number().int().min(0).optional(),
    severity: z.enum(SEVERITIES).optional(),
    message: z.string().max(4096).optional(),
    /** healer.* events: why the healer acted (STOP, STALL, REWIND, FAULT, DISRUPTED, ...). */
    reason: z.string().max(64).optional(),
    /** healer.replaced: the replacement Job. */
    replacementJobName: z.string().max(253).optional(),
    replacementJobUid: z.string().max(64).optional(),
  })
  .strict();

export type QueueEvent = z.infer<typeof queueEventSchema>;
export type QueueEventType = QueueEvent["type"];
export type WorkerEventType = (typeof WORKER_EVENT_TYPES)[number];

export type ParseResult = RecordParseResult<"event", QueueEvent>;

/** Parses one record value. Never throws. */
export function parseQueueEvent(value: Buffer | string | null | undefined): ParseResult {
  return parseJsonRecord(value, MAX_EVENT_BYTES, queueEventSchema, "event");
}

/** Serialises an event for producing; validates so a producer bug surfaces at the producer. */
export function encodeQueueEvent(event: QueueEvent): { key: string; value: string } {
  return { key: event.taskId, value: JSON.stringify(queueEventSchema.parse(event)) };
}

/** Labels and annotations shared by loader Jobs, the healer and the harness (one source of truth). */
export const LABELS = {
  managed: "healer.streamforge.io/managed",
  taskId: "healer.streamforge.io/task-id",
  attempt: "healer.streamforge.io/attempt",
} as const;

export const ANNOTATIONS = {
  replacesUid: "healer.streamforge.io/replaces-uid",
  reason: "healer.streamforge.io/reason",
  restartHistory: "healer.streamforge.io/restart-history",
  gaveUp: "healer.streamforge.io/gave-up",
  heartbeatInterval: "healer.streamforge.io/heartbeat-interval",
  silenceThreshold: "healer.streamforge.io/silence-threshold",
  noProgressThreshold: "healer.streamforge.io/no-progress-threshold",
} as const;

/** Exit code by which a loader says "fatal, do not retry" (matched by the Job's podFailurePolicy FailJob). */
export const LOADER_FATAL_EXIT_CODE = 42;

/**
 * The healer's canary: `heartbeat` events with this task id, produced by the healer to every partition
 * and consumed back to prove its own ingest path (circuit breaker). Every other consumer ignores them.
 * The leading underscore makes it an impossible label value, so it can never be a real task id.
 */
export const HEALER_CANARY_TASK_ID = "_healer-canary";
