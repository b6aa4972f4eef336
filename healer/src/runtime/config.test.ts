import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { TEST_ENV } from "../testing/fixtures.ts";

function messageFor(env: Record<string, string | undefined>): string {
  const result = loadConfig(env);
  if (result.ok) throw new Error("expected the configuration to be rejected");
  return result.message;
}

describe("loadConfig", () => {
  it("applies the documented defaults (heartbeat 10s, silence 60s, grace 60s)", () => {
    const result = loadConfig({ KAFKA_BROKERS: "kafka-0:9092, kafka-1:9092" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.kafka.brokers).toEqual(["kafka-0:9092", "kafka-1:9092"]);
    expect(result.config.thresholds).toEqual({
      heartbeatIntervalMs: 10_000,
      silenceThresholdMs: 60_000,
      noProgressThresholdMs: 120_000,
      gracePeriodMs: 60_000,
    });
    expect(result.config.http).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(result.config.namespaces).toEqual(["streamforge"]);
    expect(result.config.leaderElection.leaseNamespace).toBe("streamforge");
    expect(result.config.dryRun).toBe(false);
    expect(result.config.faultPoint).toBeUndefined();
    // 5 % of the silence threshold, capped at 1 s.
    expect(result.config.tickIntervalMs).toBe(1000);
  });

  it("reads small scenario values and derives a finer tick", () => {
    const result = loadConfig(TEST_ENV);
    expect(result.ok && result.config.tickIntervalMs).toBe(300);
  });

  it("names a missing KAFKA_BROKERS", () => {
    expect(messageFor({})).toContain("KAFKA_BROKERS: is required");
  });

  it("rejects a duration without a unit and says what it expected and found", () => {
    const message = messageFor({ ...TEST_ENV, HEALER_SILENCE_THRESHOLD: "60" });
    expect(message).toContain('HEALER_SILENCE_THRESHOLD: expected a duration like 500ms, 10s, 2m or 1h, found "60"');
  });

  it("rejects a silence threshold below 3x the heartbeat interval, naming both variables", () => {
    const message = messageFor({ ...TEST_ENV, HEALER_HEARTBEAT_INTERVAL: "10s", HEALER_SILENCE_THRESHOLD: "20s", HEALER_CANARY_TIMEOUT: "2s" });
    expect(message).toMatch(/HEALER_SILENCE_THRESHOLD: must be at least 3 × HEALER_HEARTBEAT_INTERVAL \(10s\) = 30s.*found 20s/);
  });

  it("rejects a canary timeout the silence threshold cannot beat (Kafka stall must open the breaker first)", () => {
    const message = messageFor({ ...TEST_ENV, HEALER_CANARY_TIMEOUT: "5500ms" });
    expect(message).toContain("HEALER_CANARY_TIMEOUT: must be shorter than HEALER_SILENCE_THRESHOLD");
  });

  it("rejects lease timings a deposed leader could overlap with", () => {
    const message = messageFor({ ...TEST_ENV, HEALER_LEASE_DURATION: "10s", HEALER_LEASE_RENEW_DEADLINE: "10s" });
    expect(message).toContain("HEALER_LEASE_RENEW_DEADLINE: must be shorter than HEALER_LEASE_DURATION (10s)");
  });

  it("lists every bad variable at once, one per line", () => {
    const message = messageFor({ ...TEST_ENV, HEALER_RATE_LIMIT_BURST: "0", HEALER_DRY_RUN: "maybe", HEALER_FAULT_POINT: "after-lunch", HEALER_NAMESPACES: "Bad_NS" });
    expect(message.split("\n").filter((line) => line.startsWith("  "))).toHaveLength(4);
    expect(message).toContain('HEALER_RATE_LIMIT_BURST: expected an integer in [1, ');
    expect(message).toContain('HEALER_DRY_RUN: expected true or false, found "maybe"');
    expect(message).toContain("HEALER_FAULT_POINT:");
    expect(message).toContain("HEALER_NAMESPACES: expected a comma-separated list of namespace names");
  });

  it("rejects broker addresses without a port", () => {
    expect(messageFor({ KAFKA_BROKERS: "kafka-0" })).toContain("KAFKA_BROKERS: expected a comma-separated list of host:port addresses");
  });

  it("treats empty strings as unset (ConfigMaps with empty keys)", () => {
    const result = loadConfig({ ...TEST_ENV, HEALER_GRACE_PERIOD: "", HEALER_FAULT_POINT: "" });
    expect(result.ok && result.config.thresholds.gracePeriodMs).toBe(60_000);
  });

  it("accepts the fault-point test hook values", () => {
    for (const point of ["after-detect", "after-create", "after-delete"]) {
      const result = loadConfig({ ...TEST_ENV, HEALER_FAULT_POINT: point });
      expect(result.ok && result.config.faultPoint).toBe(point);
    }
  });
});
