/**
 * The healer's fast path for reading queue-events: `queueEventSchema` (contract.ts) written by hand.
 * The healer parses every record of the topic, and the zod parse (which also copies every event)
 * cost more than the JSON.parse before it. The hand-written check may only accept what the schema
 * accepts; anything it rejects goes through `parseQueueEvent`, so the schema keeps the last word on
 * garbage (its verdict, its reason and detail). event-check.test.ts holds the two to the same verdicts.
 */
import { EVENT_TYPES, MAX_EVENT_BYTES, type ParseResult, parseQueueEvent, QUEUE_EVENTS_VERSION, type QueueEvent, SEVERITIES } from "./contract.ts";

const EVENT_TYPE_SET: ReadonlySet<unknown> = new Set<unknown>(EVENT_TYPES);
const SEVERITY_SET: ReadonlySet<unknown> = new Set<unknown>(SEVERITIES);

const string =
  (min: number, max: number) =>
  (value: unknown): boolean =>
    typeof value === "string" && value.length >= min && value.length <= max;
/** zod 4's `.int()` accepts safe integers only. */
const count = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

/** Every key the schema allows, with its check and whether it is required (`.strict()`: no other key). */
const FIELDS: ReadonlyMap<string, { valid: (value: unknown) => boolean; required: boolean }> = new Map([
  ["v", { valid: (value: unknown) => value === QUEUE_EVENTS_VERSION, required: true }],
  ["type", { valid: (value: unknown) => EVENT_TYPE_SET.has(value), required: true }],
  ["jobUid", { valid: string(1, 64), required: true }],
  ["jobName", { valid: string(1, 253), required: true }],
  ["taskId", { valid: string(1, 253), required: true }],
  ["namespace", { valid: string(1, 63), required: true }],
  ["attempt", { valid: count, required: true }],
  ["seq", { valid: count, required: true }],
  ["ts", { valid: count, required: true }],
  ["progress", { valid: count, required: false }],
  ["severity", { valid: (value: unknown) => SEVERITY_SET.has(value), required: false }],
  ["message", { valid: string(0, 4096), required: false }],
  ["reason", { valid: string(0, 64), required: false }],
  ["replacementJobUid", { valid: string(0, 64), required: false }],
  ["replacementJobName", { valid: string(0, 253), required: false }],
]);
const REQUIRED_KEYS = [...FIELDS.values()].filter((field) => field.required).length;

/** `queueEventSchema.safeParse(json).success`, without zod (and without copying the event). */
export function isQueueEvent(json: unknown): json is QueueEvent {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const event = json as Record<string, unknown>;
  // An object's keys are distinct: as many required keys seen as there are means all of them.
  let required = 0;
  for (const key in event) {
    if (!Object.hasOwn(event, key)) continue;
    const field = FIELDS.get(key);
    if (!field || !field.valid(event[key])) return false;
    if (field.required) required++;
  }
  return required === REQUIRED_KEYS;
}

/**
 * `parseQueueEvent`, same results, faster on valid events: JSON.parse and the hand-written check;
 * anything else (empty, oversized, not JSON, rejected) is parsed again by `parseQueueEvent` for its
 * reason and detail (garbage is rare: it costs twice, valid events once). Never throws.
 */
export function parseQueueEventFast(value: Buffer | string | null | undefined): ParseResult {
  if (value !== null && value !== undefined && value.length > 0 && (typeof value === "string" ? Buffer.byteLength(value) : value.length) <= MAX_EVENT_BYTES) {
    let json: unknown;
    try {
      json = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
    } catch {
      json = undefined;
    }
    if (isQueueEvent(json)) return { ok: true, event: json };
  }
  return parseQueueEvent(value);
}
