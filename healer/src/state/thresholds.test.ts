import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import type { DetectionThresholds } from "../runtime/config.ts";
import { resolveThresholds } from "./thresholds.ts";

const defaults: DetectionThresholds = { heartbeatIntervalMs: 10_000, silenceThresholdMs: 60_000, noProgressThresholdMs: 120_000, gracePeriodMs: 60_000 };
const canaryTimeoutMs = 10_000;

describe("per-Job threshold overrides", () => {
  it("uses the defaults without annotations", () => {
    expect(resolveThresholds(undefined, defaults, canaryTimeoutMs)).toEqual({ thresholds: defaults, rejected: [] });
  });

  it("accepts overrides at or above 3x the declared heartbeat interval", () => {
    const { thresholds, rejected } = resolveThresholds(
      { [ANNOTATIONS.heartbeatInterval]: "5s", [ANNOTATIONS.silenceThreshold]: "20s", [ANNOTATIONS.noProgressThreshold]: "2m" },
      defaults,
      canaryTimeoutMs,
    );
    expect(rejected).toEqual([]);
    expect(thresholds).toMatchObject({ heartbeatIntervalMs: 5_000, silenceThresholdMs: 20_000, noProgressThresholdMs: 120_000 });
  });

  it("rejects an override below 3x the declared heartbeat interval and keeps the default", () => {
    const { thresholds, rejected } = resolveThresholds(
      { [ANNOTATIONS.heartbeatInterval]: "5s", [ANNOTATIONS.silenceThreshold]: "14s" },
      defaults,
      canaryTimeoutMs,
    );
    expect(thresholds.silenceThresholdMs).toBe(60_000);
    expect(rejected).toEqual([`${ANNOTATIONS.silenceThreshold}=14s is below 3 × heartbeat interval (5s) = 15s; using 1m`]);
  });

  it("rejects a no-progress override below 3x heartbeat too", () => {
    const { thresholds, rejected } = resolveThresholds({ [ANNOTATIONS.noProgressThreshold]: "20s" }, defaults, canaryTimeoutMs);
    expect(thresholds.noProgressThresholdMs).toBe(120_000);
    expect(rejected[0]).toContain("below 3 × heartbeat interval (10s) = 30s");
  });

  it("a slow declared heartbeat raises the default silence to 3x it (never two lost heartbeats = hang)", () => {
    const { thresholds, rejected } = resolveThresholds({ [ANNOTATIONS.heartbeatInterval]: "30s" }, defaults, canaryTimeoutMs);
    expect(rejected).toEqual([]);
    expect(thresholds.silenceThresholdMs).toBe(90_000);
    expect(thresholds.noProgressThresholdMs).toBe(120_000);
  });

  it("rejects a silence the breaker's canary cannot beat", () => {
    const { thresholds, rejected } = resolveThresholds(
      { [ANNOTATIONS.heartbeatInterval]: "1s", [ANNOTATIONS.silenceThreshold]: "5s" },
      defaults,
      canaryTimeoutMs,
    );
    expect(thresholds.silenceThresholdMs).toBe(60_000);
    expect(rejected[0]).toContain("must exceed canary timeout + heartbeat interval (11s)");
  });

  it("rejects unparsable values with what it found", () => {
    const { thresholds, rejected } = resolveThresholds(
      { [ANNOTATIONS.heartbeatInterval]: "often", [ANNOTATIONS.silenceThreshold]: "90" },
      defaults,
      canaryTimeoutMs,
    );
    expect(thresholds).toEqual(defaults);
    expect(rejected).toHaveLength(2);
    expect(rejected[1]).toContain('="90" is not a duration');
  });
});
