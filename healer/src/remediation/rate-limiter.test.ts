import { describe, expect, it } from "vitest";
import { ManualClock } from "../testing/manual-clock.ts";
import { TokenBucket } from "./rate-limiter.ts";

describe("TokenBucket", () => {
  it("allows a burst, then one token per 60/perMinute seconds", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 6, 2);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
    expect(bucket.msUntilNextToken()).toBe(10_000);
    await clock.advance(9_999);
    expect(bucket.tryTake()).toBe(false);
    await clock.advance(1);
    expect(bucket.tryTake()).toBe(true);
  });

  it("never holds more than the burst", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 60, 3);
    await clock.advance(3_600_000);
    expect(bucket.available()).toBe(3);
  });
});
