import { describe, expect, it } from "vitest";
import { RangeSet } from "./range-set.ts";

describe("RangeSet", () => {
  it("merges overlapping and adjacent ranges into one", () => {
    const set = new RangeSet().addRange(0, 9).addRange(20, 29).addRange(10, 19);
    expect(set.toJSON()).toEqual([[0, 29]]);
    expect(set.count).toBe(30);
    set.addRange(5, 40);
    expect(set.toJSON()).toEqual([[0, 40]]);
    expect(set.count).toBe(41);
  });

  it("keeps gaps as separate ranges, sorted", () => {
    const set = RangeSet.of(7, 3, 5, 4, 100);
    expect(set.toJSON()).toEqual([[3, 5], [7, 7], [100, 100]]);
    expect(set.toString()).toBe("3-5,7,100");
    expect(set.count).toBe(5);
    expect(set.rangeCount).toBe(3);
    expect([set.min, set.max]).toEqual([3, 100]);
  });

  it("adding what is already there changes nothing", () => {
    const set = new RangeSet().addRange(10, 20);
    set.add(15).addRange(10, 20).addRange(12, 13);
    expect(set.toJSON()).toEqual([[10, 20]]);
    expect(set.count).toBe(11);
  });

  it("answers contains and containsRange at the edges", () => {
    const set = RangeSet.fromRanges([[0, 4], [10, 14]]);
    expect([0, 4, 5, 9, 10, 14, 15].map((n) => set.contains(n))).toEqual([true, true, false, false, true, true, false]);
    expect(set.containsRange(0, 4)).toBe(true);
    expect(set.containsRange(3, 11)).toBe(false);
    expect(new RangeSet().contains(0)).toBe(false);
  });

  it("finds where a resuming loader continues", () => {
    const set = RangeSet.fromRanges([[0, 99], [150, 199]]);
    expect(set.highestContiguousFrom(0)).toBe(99);
    expect(set.nextMissing(0)).toBe(100);
    expect(set.nextMissing(150)).toBe(200);
    expect(set.nextMissing(120)).toBe(120);
    expect(set.nextPresent(100)).toBe(150);
    expect(set.nextPresent(160)).toBe(160);
    expect(set.nextPresent(200)).toBeUndefined();
    expect(new RangeSet().highestContiguousFrom(0)).toBe(-1);
    expect(RangeSet.of(1).nextMissing(0)).toBe(0);
  });

  it("merges sets and builds unions without modifying inputs", () => {
    const a = RangeSet.fromRanges([[0, 9]]);
    const b = RangeSet.fromRanges([[5, 14], [30, 31]]);
    const union = RangeSet.union(a, b);
    expect(union.toJSON()).toEqual([[0, 14], [30, 31]]);
    expect(a.toJSON()).toEqual([[0, 9]]);
    a.merge(b);
    expect(a.equals(union)).toBe(true);
  });

  it("subtracts and intersects", () => {
    const acked = RangeSet.fromRanges([[0, 99]]);
    const consumed = RangeSet.fromRanges([[0, 9], [20, 49], [60, 60], [90, 150]]);
    expect(acked.subtract(consumed).toJSON()).toEqual([[10, 19], [50, 59], [61, 89]]);
    expect(acked.intersect(consumed).toJSON()).toEqual([[0, 9], [20, 49], [60, 60], [90, 99]]);
    expect(consumed.subtract(acked).toJSON()).toEqual([[100, 150]]);
    expect(acked.subtract(new RangeSet()).equals(acked)).toBe(true);
    expect(new RangeSet().subtract(acked).isEmpty).toBe(true);
  });

  it("rejects negative, fractional and reversed input with a clear message", () => {
    expect(() => new RangeSet().add(-1)).toThrow(/non-negative safe integer, found -1/);
    expect(() => new RangeSet().add(1.5)).toThrow(/found 1.5/);
    expect(() => new RangeSet().addRange(5, 4)).toThrow(/first <= last, found \[5, 4\]/);
  });

  it("round-trips through its JSON encoding", () => {
    const set = RangeSet.fromRanges([[3, 8], [10, 10], [1_000_000, 2_000_000]]);
    const copy = RangeSet.fromRanges(JSON.parse(JSON.stringify(set)));
    expect(copy.equals(set)).toBe(true);
    expect(copy.count).toBe(set.count);
  });

  it("agrees with a plain Set on random operations", () => {
    // Deterministic pseudo-random sequence (LCG) so a failure is reproducible.
    let state = 12345;
    const next = (bound: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % bound;
    };
    for (let round = 0; round < 50; round += 1) {
      const set = new RangeSet();
      const other = new RangeSet();
      const plain = new Set<number>();
      const plainOther = new Set<number>();
      for (let op = 0; op < 40; op += 1) {
        const first = next(200);
        const last = first + next(8);
        const target = next(2) === 0;
        (target ? set : other).addRange(first, last);
        for (let n = first; n <= last; n += 1) (target ? plain : plainOther).add(n);
      }
      expect(set.count).toBe(plain.size);
      for (let n = 0; n < 215; n += 1) expect(set.contains(n)).toBe(plain.has(n));
      const difference = set.subtract(other);
      expect(difference.count).toBe([...plain].filter((n) => !plainOther.has(n)).length);
      for (let n = 0; n < 215; n += 1) expect(difference.contains(n)).toBe(plain.has(n) && !plainOther.has(n));
      let contiguous = -1;
      while (plain.has(contiguous + 1)) contiguous += 1;
      expect(set.highestContiguousFrom(0)).toBe(contiguous);
      const spans = set.toJSON();
      for (let i = 1; i < spans.length; i += 1) expect(spans[i]![0]).toBeGreaterThan(spans[i - 1]![1] + 1);
    }
  });
});
