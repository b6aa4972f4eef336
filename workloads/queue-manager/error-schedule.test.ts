import { describe, expect, it } from "vitest";
import { ErrorSchedule } from "./error-schedule.ts";

function failuresIn(schedule: ErrorSchedule, requests: number): number[] {
  const failed: number[] = [];
  for (let request = 1; request <= requests; request += 1) {
    if (schedule.next()) failed.push(request);
  }
  return failed;
}

describe("ErrorSchedule", () => {
  it("never fails at rate 0 and always fails at rate 1", () => {
    expect(failuresIn(new ErrorSchedule(0), 1000)).toEqual([]);
    expect(failuresIn(new ErrorSchedule(1), 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it("fails every Nth request when the rate is 1/N", () => {
    expect(failuresIn(new ErrorSchedule(0.5), 8)).toEqual([2, 4, 6, 8]);
    expect(failuresIn(new ErrorSchedule(0.1), 30)).toEqual([10, 20, 30]);
  });

  it("fails exactly floor(n × rate) of n requests for rates that are not 1/N", () => {
    for (const rate of [0.3, 0.35, 0.07, 0.999, 0.0001]) {
      for (const requests of [1, 7, 100, 12_345]) {
        expect(failuresIn(new ErrorSchedule(rate), requests).length).toBe(Math.floor(requests * rate + 1e-9));
      }
    }
  });

  it("is deterministic: two schedules with the same rate agree request by request", () => {
    expect(failuresIn(new ErrorSchedule(0.37), 500)).toEqual(failuresIn(new ErrorSchedule(0.37), 500));
  });

  it("rejects rates outside [0, 1]", () => {
    for (const rate of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ErrorSchedule(rate)).toThrow(/error rate must be a number in \[0, 1\]/);
    }
  });
});
