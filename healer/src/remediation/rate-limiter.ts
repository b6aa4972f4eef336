/**
 * Global rate limit on remediations: a token bucket on the monotonic clock. A burst of genuinely stuck
 * Jobs is healed at a bounded pace, so a detector bug cannot restart the fleet at once.
 */
import type { Clock } from "../runtime/clock.ts";

export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;
  private readonly refillPerMs: number;

  constructor(
    private readonly clock: Clock,
    perMinute: number,
    private readonly burst: number,
  ) {
    this.refillPerMs = perMinute / 60_000;
    this.tokens = burst;
    this.lastRefillMs = clock.monotonicMs();
  }

  /** Takes a token if one is available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until the next token (0 when one is available now). */
  msUntilNextToken(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil((1 - this.tokens) / this.refillPerMs);
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const now = this.clock.monotonicMs();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.lastRefillMs) * this.refillPerMs);
    this.lastRefillMs = now;
  }
}
