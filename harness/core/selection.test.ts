import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createRng, deriveRng } from "./rng.ts";
import { checkSelection, requestedCount, selectionShape, selectTargets, SelectionError } from "./selection.ts";

const pods = ["loader-3-x", "loader-1-a", "loader-5-q", "loader-2-b", "loader-4-z"];
const byName = (name: string) => name;

describe("seeded randomness", () => {
  it("replays: the same seed gives the same sequence, another seed another", () => {
    const a = createRng(42);
    const b = createRng(42);
    const sequence = Array.from({ length: 5 }, () => a.int(1000));
    expect(Array.from({ length: 5 }, () => b.int(1000))).toEqual(sequence);
    const c = createRng(43);
    expect(Array.from({ length: 5 }, () => c.int(1000))).not.toEqual(sequence);
  });

  it("derives independent streams per label, so one fault's choices do not shift another's", () => {
    const first = deriveRng(42, "fault", "a").int(1_000_000);
    expect(deriveRng(42, "fault", "a").int(1_000_000)).toBe(first);
    expect(deriveRng(42, "fault", "b").int(1_000_000)).not.toBe(first);
  });

  it("stays within bounds and covers them", () => {
    const rng = createRng(1);
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(5)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("target selection", () => {
  it("mode one picks exactly one, the same one for the same seed whatever the listing order", () => {
    const picked = selectTargets(pods, { mode: "one" }, createRng(7), byName);
    expect(picked).toHaveLength(1);
    expect(selectTargets([...pods].reverse(), { mode: "one" }, createRng(7), byName)).toEqual(picked);
  });

  it("different seeds spread over the candidates", () => {
    const choices = new Set(Array.from({ length: 50 }, (_, seed) => selectTargets(pods, { mode: "one" }, createRng(seed), byName)[0]));
    expect(choices.size).toBeGreaterThan(2);
  });

  it("mode count picks n distinct targets, sorted", () => {
    const picked = selectTargets(pods, { mode: "count", count: 3 }, createRng(1), byName);
    expect(new Set(picked).size).toBe(3);
    expect(picked).toEqual([...picked].sort());
  });

  it("mode percent rounds down with a floor of one", () => {
    expect(requestedCount({ mode: "percent", percent: 50 }, 5)).toBe(2);
    expect(requestedCount({ mode: "percent", percent: 10 }, 5)).toBe(1);
    expect(requestedCount({ mode: "percent", percent: 100 }, 5)).toBe(5);
    expect(requestedCount({ mode: "percent", percent: 50 }, 0)).toBe(0);
    expect(selectTargets(pods, { mode: "percent", percent: 40 }, createRng(3), byName)).toHaveLength(2);
  });

  it("mode all takes every candidate", () => {
    expect(selectTargets(pods, { mode: "all" }, createRng(3), byName)).toEqual([...pods].sort());
  });

  it("refuses to hit fewer targets than asked, and an empty match", () => {
    expect(() => selectTargets(pods, { mode: "count", count: 6 }, createRng(1), byName)).toThrow(SelectionError);
    expect(() => selectTargets(pods, { mode: "count", count: 6 }, createRng(1), byName)).toThrow(/matched 5 candidate\(s\).*asks for 6/);
    expect(() => selectTargets([], { mode: "one" }, createRng(1), byName)).toThrow(/no candidate matched/);
  });

  it("validates mode/count/percent together", () => {
    const schema = z.object(selectionShape).strict().superRefine(checkSelection);
    expect(schema.parse({})).toEqual({ mode: "one" });
    expect(schema.safeParse({ mode: "count" }).error?.issues[0]).toMatchObject({ path: ["count"], message: "mode: count needs `count: <n>`" });
    expect(schema.safeParse({ mode: "one", percent: 20 }).error?.issues[0]).toMatchObject({ path: ["percent"] });
    expect(schema.safeParse({ mode: "percent", percent: 0 }).success).toBe(false);
  });
});
