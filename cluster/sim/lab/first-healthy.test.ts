import { describe, expect, it } from "vitest";
import { watchFirstHealthy } from "./first-healthy.ts";

describe("watchFirstHealthy", () => {
  it("records the time of the first healthy answer, counting failures and errors as not yet", async () => {
    const answers: Array<boolean | Error> = [new Error("ECONNREFUSED"), false, true, true];
    let calls = 0;
    let clock = 1_000;
    const watch = watchFirstHealthy(
      async () => {
        const answer = answers[calls++]!;
        clock += 10;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      new AbortController().signal,
      { intervalMs: 1, now: () => clock },
    );
    expect(watch.at()).toBeUndefined();
    await watch.ended;
    expect(calls).toBe(3); // stops asking once healthy
    expect(watch.at()).toBe(1_030);
  });

  it("stops polling when told to, with no time recorded", async () => {
    const stop = new AbortController();
    let calls = 0;
    const watch = watchFirstHealthy(async () => (calls++, false), stop.signal, { intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop.abort();
    await watch.ended;
    const callsAtStop = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(callsAtStop).toBeGreaterThan(0);
    expect(calls).toBe(callsAtStop);
    expect(watch.at()).toBeUndefined();
  });
});
