import { describe, expect, it } from "vitest";
import { flushPromises, ManualClock } from "../testing/manual-clock.ts";
import { WorkQueue } from "./work-queue.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("WorkQueue", () => {
  it("queues a key once however often it is added", async () => {
    const queue = new WorkQueue(new ManualClock(), { retryBaseMs: 100, retryMaxMs: 1000 });
    queue.add("a");
    queue.add("a");
    queue.add("b");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
  });

  it("hands a key to one worker at a time; an add during processing runs again afterwards", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock, { retryBaseMs: 100, retryMaxMs: 1000 });
    const gate = deferred();
    const seen: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const done = queue.run(4, async (key) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      seen.push(key);
      if (seen.length === 1) await gate.promise;
      concurrent--;
    });
    queue.add("job-1");
    await flushPromises();
    queue.add("job-1");
    queue.add("job-1");
    await flushPromises();
    expect(seen).toEqual(["job-1"]);
    gate.resolve();
    await flushPromises();
    expect(seen).toEqual(["job-1", "job-1"]);
    expect(maxConcurrent).toBe(1);
    queue.shutDown();
    await done;
  });

  it("retries failures with per-key exponential backoff and forgets on success", async () => {
    const clock = new ManualClock();
    const errors: number[] = [];
    const queue = new WorkQueue(clock, { retryBaseMs: 100, retryMaxMs: 1000, onError: (_key, _error, retries) => errors.push(retries) });
    const attempts: number[] = [];
    const done = queue.run(1, async () => {
      attempts.push(clock.monotonicMs());
      if (attempts.length < 4) throw new Error("API says no");
    });
    const start = clock.monotonicMs();
    queue.add("k");
    await clock.advance(2_000);
    expect(attempts.map((at) => at - start)).toEqual([0, 100, 300, 700]);
    expect(errors).toEqual([1, 2, 3]);
    expect(queue.retriesOf("k")).toBe(0);
    queue.shutDown();
    await done;
  });

  it("requeues after the delay a reconcile asks for; the earliest pending delay wins", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock, { retryBaseMs: 100, retryMaxMs: 1000 });
    queue.addAfter("k", 5_000);
    queue.addAfter("k", 1_000);
    expect(queue.isPending("k")).toBe(true);
    await clock.advance(999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    await clock.advance(10_000);
    expect(queue.length).toBe(1);
  });

  it("shutdown stops handing out keys and lets the key in flight finish", async () => {
    const clock = new ManualClock();
    const queue = new WorkQueue(clock, { retryBaseMs: 100, retryMaxMs: 1000 });
    const gate = deferred();
    const finished: string[] = [];
    const done = queue.run(1, async (key) => {
      await gate.promise;
      finished.push(key);
    });
    queue.add("in-flight");
    await flushPromises();
    queue.add("waiting");
    queue.shutDown();
    const idle = queue.whenIdle();
    gate.resolve();
    await idle;
    await done;
    expect(finished).toEqual(["in-flight"]);
  });
});
