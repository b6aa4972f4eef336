import { describe, expect, it } from "vitest";
import { loadLoaderConfig } from "./config.ts";

const base = {
  KAFKA_BROKERS: "127.0.0.1:39092, 127.0.0.1:39093",
  TASK_ID: "loader-1",
  JOB_NAME: "loader-1",
  JOB_UID: "0b6f3d8e",
  NAMESPACE: "streamforge",
  MESSAGES: "1000",
};

describe("loadLoaderConfig", () => {
  it("applies defaults", () => {
    const config = loadLoaderConfig(base);
    expect(config).toMatchObject({
      brokers: ["127.0.0.1:39092", "127.0.0.1:39093"],
      attempt: 0,
      messages: 1000,
      ratePerSec: 100,
      heartbeatIntervalMs: 10_000,
      dataTopic: "loader-data",
      ledgerTopic: "loader-ledger",
      eventsTopic: "queue-events",
      faults: [],
    });
  });

  it("reads an empty ATTEMPT (pod without the attempt label) as the original attempt", () => {
    expect(loadLoaderConfig({ ...base, ATTEMPT: "" }).attempt).toBe(0);
    expect(loadLoaderConfig({ ...base, ATTEMPT: "2" }).attempt).toBe(2);
  });

  it("reads the fault profile", () => {
    expect(loadLoaderConfig({ ...base, FAULT: "crash-after=5s,exit=3" }).faults).toEqual([{ kind: "crash", afterMs: 5000, exitCode: 3 }]);
  });

  it("applies FAULT to attempt 0 only by default: a replacement Job (same env) does not fault again", () => {
    const first = loadLoaderConfig({ ...base, FAULT: "stall-after=5s", ATTEMPT: "0" });
    expect(first.faults).toEqual([{ kind: "stall", afterMs: 5000 }]);
    expect(first.faultAttempts).toBe("first");
    const replacement = loadLoaderConfig({ ...base, FAULT: "stall-after=5s", ATTEMPT: "1" });
    expect(replacement.faults).toEqual([]);
    expect(replacement.configuredFaults).toEqual([{ kind: "stall", afterMs: 5000 }]);
  });

  it("applies FAULT to every attempt with FAULT_ATTEMPTS=all", () => {
    for (const attempt of ["0", "1", "3"]) {
      expect(loadLoaderConfig({ ...base, FAULT: "stall-after=5s", FAULT_ATTEMPTS: "all", ATTEMPT: attempt }).faults).toEqual([{ kind: "stall", afterMs: 5000 }]);
    }
    expect(loadLoaderConfig({ ...base, FAULT: "stall-after=5s", FAULT_ATTEMPTS: "first", ATTEMPT: "2" }).faults).toEqual([]);
    expect(() => loadLoaderConfig({ ...base, FAULT_ATTEMPTS: "every" })).toThrow(/FAULT_ATTEMPTS: expected one of first, all .*found "every"/);
  });

  it("reports every problem at once, each naming the variable and what was found", () => {
    let message = "";
    try {
      loadLoaderConfig({ KAFKA_BROKERS: "kafka", MESSAGES: "-1", RATE_PER_SEC: "fast", HEARTBEAT_INTERVAL_MS: "5s", FAULT: "boom-after=1s" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('KAFKA_BROKERS: expected host:port, found "kafka"');
    expect(message).toContain("TASK_ID: required");
    expect(message).toContain("JOB_UID: required");
    expect(message).toContain('MESSAGES: expected a whole number >= 0, found "-1"');
    expect(message).toContain('RATE_PER_SEC: expected records per second, > 0, found "fast"');
    expect(message).toContain('HEARTBEAT_INTERVAL_MS: expected milliseconds, a whole number >= 100, found "5s"');
    expect(message).toContain('unknown fault "boom"');
  });
});
