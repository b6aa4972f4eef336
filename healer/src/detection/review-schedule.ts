/**
 * When each tracked Job is next due for judgement: one deadline per Job UID on a min-heap, so a tick
 * costs O(due Jobs · log n) instead of a scan of every Job (client-go's delaying queue keeps its
 * `AddAfter` items the same way).
 *
 * Rescheduling does not search the heap: the Job's authoritative deadline lives in a map and a heap
 * entry that no longer matches it is dropped when it surfaces. The heap is rebuilt from the map when
 * such stale entries outnumber the live ones, so it stays O(tracked Jobs).
 */
export class ReviewSchedule {
  private readonly dueByUid = new Map<string, number>();
  /**
   * The min-heap as two parallel arrays (deadline, UID) rather than an array of {dueMs, uid} objects:
   * a deadline is stored unboxed, 16 bytes an entry instead of ~64 (the heap holds up to 2 entries per Job).
   */
  private heapDueMs: number[] = [];
  private heapUids: string[] = [];

  get size(): number {
    return this.dueByUid.size;
  }

  /** The Job's next review; `Infinity` = none (only new input can change its verdict). */
  dueOf(uid: string): number {
    return this.dueByUid.get(uid) ?? Infinity;
  }

  /** (Re)schedules the Job's review at `dueMs`, replacing any earlier deadline; `Infinity` cancels it. */
  schedule(uid: string, dueMs: number): void {
    if (!Number.isFinite(dueMs)) {
      this.cancel(uid);
      return;
    }
    if (this.dueByUid.get(uid) === dueMs) return;
    this.dueByUid.set(uid, dueMs);
    this.push(dueMs, uid);
    if (this.heapUids.length > 2 * this.dueByUid.size + 1_024) this.rebuild();
  }

  cancel(uid: string): void {
    this.dueByUid.delete(uid);
  }

  /** Removes and returns every Job due at or before `nowMs`, earliest first. */
  takeDue(nowMs: number): string[] {
    const due: string[] = [];
    while (this.heapUids.length > 0 && this.heapDueMs[0]! <= nowMs) {
      const dueMs = this.heapDueMs[0]!;
      const uid = this.pop();
      if (this.dueByUid.get(uid) !== dueMs) continue; // rescheduled or cancelled since
      this.dueByUid.delete(uid);
      due.push(uid);
    }
    return due;
  }

  private rebuild(): void {
    this.heapDueMs = [...this.dueByUid.values()];
    this.heapUids = [...this.dueByUid.keys()];
    for (let index = (this.heapUids.length >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  private push(dueMs: number, uid: string): void {
    const { heapDueMs, heapUids } = this;
    let index = heapUids.length;
    heapDueMs.push(dueMs);
    heapUids.push(uid);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heapDueMs[parent]! <= dueMs) break;
      heapDueMs[index] = heapDueMs[parent]!;
      heapUids[index] = heapUids[parent]!;
      index = parent;
    }
    heapDueMs[index] = dueMs;
    heapUids[index] = uid;
  }

  /** Removes the earliest entry and returns its UID. */
  private pop(): string {
    const { heapDueMs, heapUids } = this;
    const top = heapUids[0]!;
    const lastDueMs = heapDueMs.pop()!;
    const lastUid = heapUids.pop()!;
    if (heapUids.length > 0) {
      heapDueMs[0] = lastDueMs;
      heapUids[0] = lastUid;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const { heapDueMs, heapUids } = this;
    const dueMs = heapDueMs[start]!;
    const uid = heapUids[start]!;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heapUids.length) break;
      if (child + 1 < heapUids.length && heapDueMs[child + 1]! < heapDueMs[child]!) child++;
      if (heapDueMs[child]! >= dueMs) break;
      heapDueMs[index] = heapDueMs[child]!;
      heapUids[index] = heapUids[child]!;
      index = child;
    }
    heapDueMs[index] = dueMs;
    heapUids[index] = uid;
  }
}
