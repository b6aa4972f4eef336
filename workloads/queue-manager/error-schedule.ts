/**
 * Deterministic error injection: after `n` business requests exactly `floor(n × errorRate)` have
 * failed, spread evenly (rate 0.5 fails every 2nd request, 0.1 every 10th). No randomness, so a bad
 * version fails the same way on every run and the analysis verdict is reproducible.
 */

/** Rates are held in parts per million so the schedule is integer arithmetic, free of float drift. */
const PARTS_PER_MILLION = 1_000_000;

export class ErrorSchedule {
  readonly errorRate: number;
  private readonly errorPartsPerMillion: number;
  private served = 0;

  constructor(errorRate: number) {
    if (!Number.isFinite(errorRate) || errorRate < 0 || errorRate > 1) {
      throw new RangeError(`error rate must be a number in [0, 1], found ${errorRate}`);
    }
    this.errorRate = errorRate;
    this.errorPartsPerMillion = Math.round(errorRate * PARTS_PER_MILLION);
  }

  /** Decides the next request: true means it must fail. */
  next(): boolean {
    this.served += 1;
    return this.errorsAfter(this.served) > this.errorsAfter(this.served - 1);
  }

  private errorsAfter(requests: number): number {
    return Math.floor((requests * this.errorPartsPerMillion) / PARTS_PER_MILLION);
  }
}
