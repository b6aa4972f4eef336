/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection package:
 * a candidate takes the Lease when its holder has not renewed it for leaseDuration *as observed on the
 * candidate's own monotonic clock* (no trust in another host's timestamps); the leader renews every
 * retryPeriod and gives up when it could not renew for renewDeadline (< leaseDuration, so it has
 * stopped before anyone else can start). `isLeader()` checks the deadline itself, so a hung renewal
 * request cannot keep a deposed leader acting.
 */
import { type Clock, jittered, sleep, type TimerHandle } from "./clock.ts";
import { errorMessage } from "./errors.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import { isAlreadyExists, isConflict } from "../kube/kube-client.ts";
import type { LeaseJson } from "../kube/kube-types.ts";

export interface LeaderElectionOptions {
  api: Pick<KubeApi, "readLease" | "createLease" | "replaceLease">;
  clock: Clock;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  random?: () => number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log: {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
  };
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, "000Z");
}

interface ObservedRecord {
  holder: string;
  renewTime: string;
  resourceVersion: string;
}

export class LeaderElector {
  private leading = false;
  private lastRenewMs = Number.NEGATIVE_INFINITY;
  private observed?: ObservedRecord;
  private observedAtMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private readonly stopController = new AbortController();
  private deadlineTimer?: TimerHandle;
  private loopDone?: Promise<void>;

  constructor(private readonly options: LeaderElectionOptions) {}

  /** True only while leading AND the last successful renewal is within renewDeadline. */
  isLeader(): boolean {
    return this.leading && this.options.clock.monotonicMs() - this.lastRenewMs < this.options.renewDeadlineMs;
  }

  get identity(): string {
    return this.options.identity;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Stops campaigning and, when leading, releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    await this.loopDone;
    if (this.leading) {
      this.loseLeadership("shutdown");
      await this.release();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = this.options.clock.monotonicMs();
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (error) {
        this.options.log.warn({ lease: this.leaseRef(), err: errorMessage(error) }, "lease request failed");
      }
      if (this.stopped) return;
      if (renewed) {
        this.lastRenewMs = now;
        this.armDeadline();
        if (!this.leading) {
          this.leading = true;
          this.options.log.info({ lease: this.leaseRef(), identity: this.options.identity }, "became leader");
          this.options.onStartedLeading();
        }
      } else if (this.leading && this.options.clock.monotonicMs() - this.lastRenewMs >= this.options.renewDeadlineMs) {
        this.loseLeadership("renewal overdue");
      }
      await sleep(this.options.clock, jittered(this.options.retryPeriodMs * 1.2, this.options.random), this.stopController.signal);
    }
  }

  /** A renewal that never returns must still end leadership on time. */
  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = this.options.clock.setTimer(() => {
      if (this.leading && this.options.clock.monotonicMs() - this.lastRenewMs >= this.options.renewDeadlineMs) {
        this.loseLeadership("renewal overdue");
      }
    }, this.options.renewDeadlineMs);
  }

  private loseLeadership(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.deadlineTimer?.cancel();
    this.options.log.warn({ lease: this.leaseRef(), identity: this.options.identity, why }, "stopped leading");
    this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, clock } = this.options;
    const leaseDurationSeconds = Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
    const nowWall = microTime(clock.wallMs());
    const existing = await api.readLease(namespace, name);
    if (!existing) {
      try {
        const created = await api.createLease(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: nowWall, renewTime: nowWall, leaseTransitions: 0 },
        });
        this.observe(created);
        return true;
      } catch (error) {
        if (isAlreadyExists(error)) return false;
        throw error;
      }
    }
    this.observe(existing);
    const holder = existing.spec?.holderIdentity ?? "";
    const heldByMe = holder === identity;
    if (holder !== "" && !heldByMe) {
      const observedDurationMs = (existing.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (clock.monotonicMs() < this.observedAtMs + observedDurationMs) return false;
    }
    const transitions = existing.spec?.leaseTransitions ?? 0;
    const updated: LeaseJson = {
      metadata: { ...existing.metadata },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: heldByMe ? (existing.spec?.acquireTime ?? nowWall) : nowWall,
        renewTime: nowWall,
        leaseTransitions: heldByMe ? transitions : transitions + 1,
      },
    };
    try {
      this.observe(await api.replaceLease(namespace, updated));
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private observe(lease: LeaseJson): void {
    const record: ObservedRecord = {
      holder: lease.spec?.holderIdentity ?? "",
      renewTime: lease.spec?.renewTime ?? "",
      resourceVersion: lease.metadata.resourceVersion ?? "",
    };
    if (
      !this.observed ||
      this.observed.holder !== record.holder ||
      this.observed.renewTime !== record.renewTime ||
      this.observed.resourceVersion !== record.resourceVersion
    ) {
      this.observed = record;
      this.observedAtMs = this.options.clock.monotonicMs();
    }
  }

  private async release(): Promise<void> {
    const { api, namespace, name, identity, clock } = this.options;
    try {
      const existing = await api.readLease(namespace, name);
      if (!existing || existing.spec?.holderIdentity !== identity) return;
      const nowWall = microTime(clock.wallMs());
      await api.replaceLease(namespace, {
        metadata: { ...existing.metadata },
        // client-go's release: empty holder and a 1 s duration, so candidates take over immediately.
        spec: { ...existing.spec, holderIdentity: "", leaseDurationSeconds: 1, acquireTime: nowWall, renewTime: nowWall },
      });
      this.options.log.info({ lease: this.leaseRef(), identity }, "released lease");
    } catch (error) {
      this.options.log.warn({ lease: this.leaseRef(), err: errorMessage(error) }, "could not release lease; standby takes over after it expires");
    }
  }

  private leaseRef(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }
}
