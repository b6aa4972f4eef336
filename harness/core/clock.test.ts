import { afterEach, describe, expect, it, vi } from "vitest";
import { AbortedError, systemClock } from "./clock.ts";

describe("systemClock.sleep", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never resolves before now() reaches the deadline, even when the timer fires early", async () => {
    // Readings: the deadline (start + 5), arming, then a first firing that sees the wall clock 1 ms short
    // (as Date.now() can lag a monotonic timer), re-arming, and a second firing at the deadline.
    const start = 1_000_000;
    const readings = [start, start, start + 4, start + 4, start + 5];
    const seen: number[] = [];
    vi.spyOn(Date, "now").mockImplementation(() => {
      const value = readings.shift() ?? start + 5;
      seen.push(value);
      return value;
    });
    await systemClock.sleep(5);
    vi.restoreAllMocks();
    expect(seen.at(-1)).toBeGreaterThanOrEqual(start + 5);
    expect(seen).toContain(start + 4); // the early firing was seen and slept through
  });

  it("rejects with the abort reason as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new AbortedError("interrupted"));
    await expect(sleeping).rejects.toThrow("interrupted");
  });
});
