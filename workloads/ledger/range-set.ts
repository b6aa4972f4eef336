/**
 * A set of non-negative integer sequence numbers stored as sorted, disjoint, non-adjacent inclusive
 * ranges. A loader acknowledges its records in order, so a task of a million records is usually one
 * range `[[0, 999999]]`: the ledger stays a few bytes however far the task got, and resending the
 * whole cumulative set after every batch is cheap.
 *
 * Used by the loader (what it has acked, where to resume), the connector (what it has seen, to count
 * duplicates) and the harness's ledger probe (acked vs consumed).
 */

/** Inclusive `[first, last]`. The JSON encoding of a RangeSet is an array of these. */
export type SeqRange = readonly [first: number, last: number];

export class RangeSet {
  /** Sorted by start; disjoint; never adjacent (adjacent ranges are merged). */
  private readonly spans: [number, number][] = [];
  private size = 0;

  static fromRanges(ranges: Iterable<SeqRange>): RangeSet {
    const set = new RangeSet();
    for (const [first, last] of ranges) set.addRange(first, last);
    return set;
  }

  static of(...seqs: number[]): RangeSet {
    const set = new RangeSet();
    for (const seq of seqs) set.add(seq);
    return set;
  }

  /** Union of any number of sets (none of them is modified). */
  static union(...sets: RangeSet[]): RangeSet {
    const result = new RangeSet();
    for (const set of sets) result.merge(set);
    return result;
  }

  /** Number of sequence numbers in the set. */
  get count(): number {
    return this.size;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Number of ranges: what a ledger record carries. */
  get rangeCount(): number {
    return this.spans.length;
  }

  get min(): number | undefined {
    return this.spans[0]?.[0];
  }

  get max(): number | undefined {
    return this.spans.at(-1)?.[1];
  }

  add(seq: number): this {
    return this.addRange(seq, seq);
  }

  addRange(first: number, last: number): this {
    assertSeq(first, "first");
    assertSeq(last, "last");
    if (last < first) {
      throw new RangeError(`RangeSet.addRange: expected first <= last, found [${first}, ${last}]`);
    }
    // First span that ends at or after first-1: everything before it stays untouched.
    let index = this.firstSpanEndingAtOrAfter(first - 1);
    let start = first;
    let end = last;
    let removed = 0;
    let removedCount = 0;
    while (index + removed < this.spans.length) {
      const span = this.spans[index + removed]!;
      if (span[0] > end + 1) break;
      start = Math.min(start, span[0]);
      end = Math.max(end, span[1]);
      removedCount += span[1] - span[0] + 1;
      removed += 1;
    }
    this.spans.splice(index, removed, [start, end]);
    this.size += end - start + 1 - removedCount;
    return this;
  }

  /** Adds every sequence number of `other` to this set. */
  merge(other: RangeSet): this {
    for (const [first, last] of other.spans) this.addRange(first, last);
    return this;
  }

  contains(seq: number): boolean {
    const span = this.spans[this.firstSpanEndingAtOrAfter(seq)];
    return span !== undefined && span[0] <= seq;
  }

  /** True when every sequence number of `[first, last]` is in the set. */
  containsRange(first: number, last: number): boolean {
    const span = this.spans[this.firstSpanEndingAtOrAfter(first)];
    return span !== undefined && span[0] <= first && span[1] >= last;
  }

  /**
   * The highest `h` such that every number of `[from, h]` is in the set; `from - 1` when `from`
   * itself is missing. A resuming loader continues at `highestContiguousFrom(0) + 1`.
   */
  highestContiguousFrom(from: number): number {
    const span = this.spans[this.firstSpanEndingAtOrAfter(from)];
    return span !== undefined && span[0] <= from ? span[1] : from - 1;
  }

  /** The smallest number `>= from` that is not in the set. */
  nextMissing(from: number): number {
    return this.highestContiguousFrom(from) + 1;
  }

  /** The smallest number `>= from` that is in the set, or undefined. */
  nextPresent(from: number): number | undefined {
    const span = this.spans[this.firstSpanEndingAtOrAfter(from)];
    if (span === undefined) return undefined;
    return Math.max(span[0], from);
  }

  /** The numbers of this set that are not in `other`, as a new set. */
  subtract(other: RangeSet): RangeSet {
    const result = new RangeSet();
    let j = 0;
    for (const [first, last] of this.spans) {
      let cursor = first;
      while (j < other.spans.length && other.spans[j]![1] < cursor) j += 1;
      let k = j;
      while (cursor <= last && k < other.spans.length && other.spans[k]![0] <= last) {
        const [otherFirst, otherLast] = other.spans[k]!;
        if (otherFirst > cursor) result.addRange(cursor, otherFirst - 1);
        cursor = Math.max(cursor, otherLast + 1);
        k += 1;
      }
      if (cursor <= last) result.addRange(cursor, last);
    }
    return result;
  }

  /** The numbers that are in both sets, as a new set. */
  intersect(other: RangeSet): RangeSet {
    return this.subtract(this.subtract(other));
  }

  clone(): RangeSet {
    return RangeSet.fromRanges(this.spans);
  }

  equals(other: RangeSet): boolean {
    if (this.size !== other.size || this.spans.length !== other.spans.length) return false;
    return this.spans.every(([first, last], i) => other.spans[i]![0] === first && other.spans[i]![1] === last);
  }

  *ranges(): IterableIterator<SeqRange> {
    for (const [first, last] of this.spans) yield [first, last];
  }

  /** Compact encoding: `[[0, 999], [1200, 1300]]`. */
  toJSON(): [number, number][] {
    return this.spans.map(([first, last]) => [first, last]);
  }

  /** Human form for logs and reports: `0-999,1200-1300`, `5` for a single number. */
  toString(): string {
    return this.spans.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(",");
  }

  /** Index of the first span whose end is >= value (binary search); spans.length when none. */
  private firstSpanEndingAtOrAfter(value: number): number {
    let low = 0;
    let high = this.spans.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.spans[mid]![1] < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function assertSeq(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`RangeSet: expected ${name} to be a non-negative safe integer, found ${value}`);
  }
}
