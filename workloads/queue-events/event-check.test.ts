import { describe, expect, it } from "vitest";
import { MAX_EVENT_BYTES, parseQueueEvent, queueEventSchema } from "./contract.ts";
import { isQueueEvent, parseQueueEventFast } from "./event-check.ts";

const valid = {
  v: 1,
  type: "heartbeat",
  jobUid: "uid-1",
  jobName: "loader-1",
  namespace: "default",
  taskId: "loader-1",
  attempt: 0,
  seq: 3,
  ts: 1_700_000_000_000,
  progress: 30,
};

/** Values that probe each check's edges (types, lengths, integers, enums). */
const probes: unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  -1,
  1,
  2,
  1.5,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
  2 ** 60,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  "",
  "x",
  "1",
  "a".repeat(63),
  "a".repeat(64),
  "a".repeat(65),
  "a".repeat(253),
  "a".repeat(254),
  "a".repeat(4096),
  "a".repeat(4097),
  "heartbeat",
  "started",
  "healer.replaced",
  "Heartbeat",
  "critical",
  "fatal",
  [],
  {},
  ["heartbeat"],
];

const keys = [
  "v",
  "type",
  "jobUid",
  "jobName",
  "namespace",
  "taskId",
  "attempt",
  "seq",
  "ts",
  "progress",
  "severity",
  "message",
  "reason",
  "replacementJobName",
  "replacementJobUid",
  "extra",
  "__proto__",
  "constructor",
];

const zodAccepts = (value: unknown) => queueEventSchema.safeParse(value).success;

describe("queue-events contract: the hand-written check and the schema", () => {
  it("agree on every key set to every probe value, and on every key removed", () => {
    for (const key of keys) {
      const removed: Record<string, unknown> = { ...valid };
      delete removed[key];
      expect(isQueueEvent(removed), `without ${key}`).toBe(zodAccepts(removed));
      for (const probe of probes) {
        const candidate: Record<string, unknown> = { ...valid };
        Object.defineProperty(candidate, key, { value: probe, enumerable: true, configurable: true, writable: true });
        // Objects JSON cannot express (an optional key set to undefined): never accept what zod rejects.
        if (isQueueEvent(candidate)) expect(zodAccepts(candidate), `${key} = ${String(probe)}`).toBe(true);
        const text = JSON.stringify(candidate);
        // What parseQueueEvent sees (JSON.parse output): the same verdict.
        const viaJson = JSON.parse(text) as unknown;
        expect(isQueueEvent(viaJson), text.slice(0, 200)).toBe(zodAccepts(viaJson));
      }
    }
  });

  it("agree on non-objects and on every event type with every severity", () => {
    for (const probe of probes) expect(isQueueEvent(probe), String(probe)).toBe(zodAccepts(probe));
    for (const type of ["started", "heartbeat", "progress", "idle", "error", "completed", "healer.detected", "healer.replaced", "healer.suppressed", "nope"]) {
      for (const severity of ["info", "warning", "error", "critical", "bad", undefined]) {
        const event = { ...valid, type, ...(severity === undefined ? {} : { severity, message: "m", reason: "STOP", replacementJobName: "r", replacementJobUid: "u" }) };
        expect(isQueueEvent(event), `${type}/${severity}`).toBe(zodAccepts(event));
      }
    }
  });

  it("parseQueueEventFast: the same results as parseQueueEvent, garbage a reason, never a throw", () => {
    const inputs: Array<Buffer | string | null | undefined> = [
      Buffer.from(JSON.stringify(valid)),
      JSON.stringify(valid),
      JSON.stringify({ ...valid, type: "error", severity: "critical", message: "disk full" }),
      null,
      undefined,
      "",
      Buffer.alloc(0),
      Buffer.alloc(MAX_EVENT_BYTES + 1, 32),
      "é".repeat(MAX_EVENT_BYTES / 2 + 1),
      Buffer.from("{not json"),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from("[]"),
      Buffer.from("null"),
      "42",
      JSON.stringify({ ...valid, extra: 1 }),
      JSON.stringify({ ...valid, seq: -1 }),
      JSON.stringify({ ...valid, jobUid: "" }),
      '{"v":1,"__proto__":{"type":"heartbeat"}}',
    ];
    for (const input of inputs) {
      const fast = parseQueueEventFast(input);
      expect(fast, String(input).slice(0, 80)).toEqual(parseQueueEvent(input));
    }
    expect(parseQueueEventFast(Buffer.from(JSON.stringify(valid)))).toEqual({ ok: true, event: valid });
    expect(parseQueueEventFast(JSON.stringify({ ...valid, extra: 1 }))).toMatchObject({ ok: false, reason: "schema", detail: expect.stringContaining("extra") });
    expect(parseQueueEventFast(Buffer.from("{not json"))).toMatchObject({ ok: false, reason: "not-json" });
    expect(parseQueueEventFast(null)).toMatchObject({ ok: false, reason: "empty" });
  });
});
