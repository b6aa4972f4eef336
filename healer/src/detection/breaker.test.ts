import { describe, expect, it } from "vitest";
import { CircuitBreaker, type StreamHealth, unhealthyReasons } from "./breaker.ts";

const options = { maxLagMessages: 1000, silentFraction: 0.5, minSilentJobs: 3, settlePeriodMs: 3_000 };
const healthy: StreamHealth = { consumerConnected: true, partitionsAssigned: 3, lagMessages: 0, canaryHealthy: true, silentJobs: 0, judgedJobs: 10 };

describe("circuit breaker", () => {
  it("names every unhealthy condition", () => {
    expect(unhealthyReasons(healthy, options)).toEqual([]);
    expect(unhealthyReasons({ ...healthy, consumerConnected: false }, options)).toContain("consumer-disconnected");
    expect(unhealthyReasons({ ...healthy, partitionsAssigned: 0 }, options)).toEqual(["no-partitions"]);
    expect(unhealthyReasons({ ...healthy, lagMessages: 1001 }, options)).toEqual(["lag"]);
    expect(unhealthyReasons({ ...healthy, canaryHealthy: false }, options)).toEqual(["canary"]);
    expect(unhealthyReasons({ ...healthy, silentJobs: 5, judgedJobs: 10 }, options)).toEqual(["mass-silence"]);
  });

  it("mass silence needs at least 50% AND at least 3 Jobs", () => {
    expect(unhealthyReasons({ ...healthy, silentJobs: 4, judgedJobs: 10 }, options)).toEqual([]);
    expect(unhealthyReasons({ ...healthy, silentJobs: 2, judgedJobs: 2 }, options)).toEqual([]);
    expect(unhealthyReasons({ ...healthy, silentJobs: 3, judgedJobs: 6 }, options)).toEqual(["mass-silence"]);
  });

  it("starts open, settles for the settle period, then closes with a fresh grace for everyone", () => {
    const breaker = new CircuitBreaker(options);
    expect(breaker.state).toBe("open");
    expect(breaker.allowsRemediation).toBe(false);
    expect(breaker.update(healthy, 0)).toMatchObject({ state: "settling", changed: true, regrace: false });
    expect(breaker.update(healthy, 2_999)).toMatchObject({ state: "settling", changed: false });
    expect(breaker.update(healthy, 3_000)).toMatchObject({ state: "closed", changed: true, regrace: true });
    expect(breaker.allowsRemediation).toBe(true);
    expect(breaker.update(healthy, 4_000)).toMatchObject({ state: "closed", changed: false, regrace: false });
  });

  it("reopens at once on trouble, and a relapse while settling restarts the settle period", () => {
    const breaker = new CircuitBreaker(options);
    breaker.update(healthy, 0);
    breaker.update(healthy, 3_000);
    expect(breaker.update({ ...healthy, canaryHealthy: false }, 5_000)).toMatchObject({ state: "open", previous: "closed", reasons: ["canary"] });
    breaker.update(healthy, 6_000);
    breaker.update({ ...healthy, lagMessages: 5_000 }, 7_000);
    expect(breaker.update(healthy, 8_000).state).toBe("settling");
    expect(breaker.update(healthy, 10_999).state).toBe("settling");
    expect(breaker.update(healthy, 11_000).state).toBe("closed");
  });

  it("trip forces it open (leadership lost)", () => {
    const breaker = new CircuitBreaker(options);
    breaker.update(healthy, 0);
    breaker.update(healthy, 3_000);
    expect(breaker.trip("not-leader")).toMatchObject({ state: "open", changed: true, reasons: ["not-leader"] });
  });
});
