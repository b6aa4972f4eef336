/**
 * The circuit breaker: the healer must never make things worse. When the event stream itself is
 * unhealthy, silence proves nothing about the Jobs, so the healer makes zero remediations. When the
 * stream is healthy again it waits a settle period and then gives every Job a fresh grace period —
 * a Kafka outage must not end with every Job restarted.
 */
export type BreakerState = "closed" | "open" | "settling";

export interface StreamHealth {
  consumerConnected: boolean;
  partitionsAssigned: number;
  /** Messages between the consumer's position and the high watermarks, summed over partitions. */
  lagMessages: number;
  /** The healer's own canary events come back within the bound. */
  canaryHealthy: boolean;
  /** Active Jobs with a Ready pod that are silent past their threshold right now. */
  silentJobs: number;
  /** Active Jobs with a Ready pod (in grace, ok, or stuck by silence or stall). */
  judgedJobs: number;
}

export interface BreakerOptions {
  maxLagMessages: number;
  silentFraction: number;
  minSilentJobs: number;
  settlePeriodMs: number;
}

export interface BreakerUpdate {
  state: BreakerState;
  previous: BreakerState;
  changed: boolean;
  reasons: string[];
  /** True exactly when the breaker closed: every Job gets a fresh grace period now. */
  regrace: boolean;
}

export function unhealthyReasons(health: StreamHealth, options: BreakerOptions): string[] {
  const reasons: string[] = [];
  if (!health.consumerConnected) reasons.push("consumer-disconnected");
  else if (health.partitionsAssigned === 0) reasons.push("no-partitions");
  if (health.lagMessages > options.maxLagMessages) reasons.push("lag");
  if (!health.canaryHealthy) reasons.push("canary");
  if (
    health.silentJobs >= options.minSilentJobs &&
    health.judgedJobs > 0 &&
    health.silentJobs / health.judgedJobs >= options.silentFraction
  ) {
    reasons.push("mass-silence");
  }
  return reasons;
}

export class CircuitBreaker {
  private current: BreakerState = "open";
  private currentReasons: string[] = ["starting"];
  private settleUntilMs = 0;

  constructor(private readonly options: BreakerOptions) {}

  get state(): BreakerState {
    return this.current;
  }

  get reasons(): readonly string[] {
    return this.currentReasons;
  }

  /** Only `closed` lets remediations through. */
  get allowsRemediation(): boolean {
    return this.current === "closed";
  }

  /** Forces the breaker open (e.g. this replica stopped consuming); it must settle again before closing. */
  trip(reason: string): BreakerUpdate {
    const previous = this.current;
    this.current = "open";
    this.currentReasons = [reason];
    return { state: "open", previous, changed: previous !== "open", reasons: this.currentReasons, regrace: false };
  }

  update(health: StreamHealth, nowMs: number): BreakerUpdate {
    const previous = this.current;
    const reasons = unhealthyReasons(health, this.options);
    let regrace = false;
    if (reasons.length > 0) {
      this.current = "open";
      this.currentReasons = reasons;
    } else if (this.current === "open") {
      this.current = "settling";
      this.settleUntilMs = nowMs + this.options.settlePeriodMs;
      this.currentReasons = ["settling"];
    } else if (this.current === "settling" && nowMs >= this.settleUntilMs) {
      this.current = "closed";
      this.currentReasons = [];
      regrace = true;
    }
    return { state: this.current, previous, changed: previous !== this.current, reasons: [...this.currentReasons], regrace };
  }
}
