/**
 * The healer's canary: every interval the leader produces one event per assigned partition and expects
 * it back. Produced and consumed by the same process, its round trip is measured on one clock — the
 * only exact ingest-lag measurement there is. A partition whose canary has not come back for
 * interval + timeout makes the stream unhealthy (consumer hung, broker partitioned, producer failing).
 */
export class CanaryMonitor {
  private readonly lastReturnedMs = new Map<number, number>();
  private readonly inFlight = new Map<number, { partition: number; sentMs: number }>();
  private nextSeq = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** New assignment: every assigned partition starts with a clean slate. */
  reset(partitions: number[], nowMs: number): void {
    this.lastReturnedMs.clear();
    this.inFlight.clear();
    for (const partition of partitions) this.lastReturnedMs.set(partition, nowMs);
  }

  /** Registers a canary about to be produced; returns its seq. */
  send(partition: number, nowMs: number): number {
    const seq = this.nextSeq++;
    this.inFlight.set(seq, { partition, sentMs: nowMs });
    // Canaries lost for good (producer failures) must not pile up.
    if (this.inFlight.size > 1000) this.inFlight.delete(this.inFlight.keys().next().value as number);
    return seq;
  }

  /** A canary came back: returns its round trip in ms (undefined for unknown seqs). */
  received(seq: number, nowMs: number): number | undefined {
    const sent = this.inFlight.get(seq);
    if (!sent) return undefined;
    this.inFlight.delete(seq);
    if (this.lastReturnedMs.has(sent.partition)) this.lastReturnedMs.set(sent.partition, nowMs);
    return nowMs - sent.sentMs;
  }

  /** Healthy when every assigned partition returned a canary within interval + timeout. */
  healthy(nowMs: number): boolean {
    if (this.lastReturnedMs.size === 0) return false;
    for (const returnedMs of this.lastReturnedMs.values()) {
      if (nowMs - returnedMs > this.intervalMs + this.timeoutMs) return false;
    }
    return true;
  }

  /** The longest a partition has gone without a canary returning. */
  worstSilenceMs(nowMs: number): number {
    let worst = 0;
    for (const returnedMs of this.lastReturnedMs.values()) worst = Math.max(worst, nowMs - returnedMs);
    return worst;
  }
}
