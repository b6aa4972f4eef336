import { describe, expect, it } from "vitest";
import { ReviewSchedule } from "./review-schedule.ts";

describe("ReviewSchedule", () => {
  it("hands out Jobs once they are due, earliest first, and not before", () => {
    const schedule = new ReviewSchedule();
    schedule.schedule("c", 300);
    schedule.schedule("a", 100);
    schedule.schedule("b", 200);
    expect(schedule.takeDue(99)).toEqual([]);
    expect(schedule.takeDue(200)).toEqual(["a", "b"]);
    expect(schedule.takeDue(10_000)).toEqual(["c"]);
    expect(schedule.size).toBe(0);
  });

  it("a new deadline replaces the old one, earlier or later; Infinity and cancel drop it", () => {
    const schedule = new ReviewSchedule();
    schedule.schedule("later", 100);
    schedule.schedule("later", 500);
    schedule.schedule("earlier", 500);
    schedule.schedule("earlier", 50);
    schedule.schedule("never", 10);
    schedule.schedule("never", Infinity);
    schedule.schedule("gone", 20);
    schedule.cancel("gone");
    expect(schedule.takeDue(100)).toEqual(["earlier"]);
    expect(schedule.dueOf("later")).toBe(500);
    expect(schedule.dueOf("never")).toBe(Infinity);
    expect(schedule.takeDue(1_000)).toEqual(["later"]);
  });

  it("matches a sorted reference under random reschedules, and stays bounded", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const schedule = new ReviewSchedule();
    const reference = new Map<string, number>();
    let nowMs = 0;
    for (let step = 0; step < 20_000; step++) {
      const uid = `job-${Math.floor(random() * 500)}`;
      const dueMs = random() < 0.05 ? Infinity : nowMs + Math.floor(random() * 1_000);
      schedule.schedule(uid, dueMs);
      if (Number.isFinite(dueMs)) reference.set(uid, dueMs);
      else reference.delete(uid);
      if (step % 50 === 0) {
        nowMs += 100;
        const expected = [...reference].filter(([, due]) => due <= nowMs).sort((x, y) => x[1] - y[1]);
        const taken = schedule.takeDue(nowMs);
        expect(taken.map((uid) => reference.get(uid))).toEqual(expected.map(([, due]) => due));
        expect(new Set(taken)).toEqual(new Set(expected.map(([uid]) => uid)));
        for (const uid of taken) reference.delete(uid);
      }
    }
    expect(schedule.size).toBe(reference.size);
    // Stale heap entries are compacted away: the heap never holds much more than the live deadlines.
    expect((schedule as unknown as { heapUids: unknown[] }).heapUids.length).toBeLessThanOrEqual(2 * reference.size + 1_025);
  });
});
