/**
 * When each tracked Job is next due for judgement: one deadline per Job UID on a min-heap, so a tick
 * costs O(due Jobs · log n) instead of a scan of every Job (client-go's delaying queue keeps its
 * `AddAfter` items the same way).
 *
 * Rescheduling does not search the heap: the Job's authoritative deadline lives in a map and a heap
 * entry that no longer matches it is dropped when it surfaces. The heap is rebuilt from the map when
 * such stale entries outnumber the live ones, so it stays O(tracked Jobs).
 */
interface HeapEntry {
  dueMs: number;
  uid: string;
}

export class ReviewSchedule {
  private readonly dueByUid = new Map<string, number>();
  private heap: HeapEntry[] = [];

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
    this.push({ dueMs, uid });
    if (this.heap.length > 2 * this.dueByUid.size + 1_024) this.rebuild();
  }

  cancel(uid: string): void {
    this.dueByUid.delete(uid);
  }

  /** Removes and returns every Job due at or before `nowMs`, earliest first. */
  takeDue(nowMs: number): string[] {
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.dueMs <= nowMs) {
      const top = this.pop();
      if (this.dueByUid.get(top.uid) !== top.dueMs) continue; // rescheduled or cancelled since
      this.dueByUid.delete(top.uid);
      due.push(top.uid);
    }
    return due;
  }

  private rebuild(): void {
    this.heap = [...this.dueByUid].map(([uid, dueMs]) => ({ uid, dueMs }));
    for (let index = (this.heap.length >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]!.dueMs <= entry.dueMs) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): HeapEntry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const entry = heap[start]!;
    let index = start;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1]!.dueMs < heap[child]!.dueMs) child++;
      if (heap[child]!.dueMs >= entry.dueMs) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = entry;
  }
}
