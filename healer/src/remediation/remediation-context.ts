/**
 * What every remediation step shares: the reconciler's dependencies, the remediations this process
 * is carrying out, the once-only reports, and the rules checked before each mutation and decision.
 */
import type { HealerEventPublisher } from "../outputs/event-publisher.ts";
import type { DecisionLog, Decision } from "../outputs/decision-log.ts";
import type { EventRecorder, EventTarget } from "../outputs/events-recorder.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import type { JobJson } from "../kube/kube-types.ts";
import type { Clock } from "../runtime/clock.ts";
import type { FaultPoint, HealerConfig } from "../runtime/config.ts";
import { attemptOf, taskIdOf } from "../state/job-facts.ts";
import type { DetectionReason } from "../state/tracked-job.ts";
import type { JobTracker } from "../state/tracker.ts";
import type { TokenBucket } from "./rate-limiter.ts";

export interface BreakerView {
  readonly allowsRemediation: boolean;
  readonly state: string;
  readonly reasons: readonly string[];
}

export interface ReconcilerDeps {
  config: HealerConfig;
  clock: Clock;
  kube: KubeApi;
  tracker: JobTracker;
  breaker: BreakerView;
  leader: { isLeader(): boolean };
  rateLimiter: TokenBucket;
  recorder: Pick<EventRecorder, "record">;
  publisher: Pick<HealerEventPublisher, "publish">;
  decisions: DecisionLog;
  metrics: HealerMetrics;
  faultPoint: (point: FaultPoint) => void;
  isStopping: () => boolean;
}

/** A problem retrying cannot fix (a name taken by an unrelated Job): reported once, not retried. */
export class PermanentError extends Error {}

export interface Located {
  namespace: string;
  taskId: string;
  oldName?: string;
  oldAttempt: number;
}

export interface InFlight extends Located {
  reason: DetectionReason;
  detectedAtMs: number;
}

export interface Subject {
  uid: string;
  job: string;
  namespace: string;
  taskId: string;
  attempt: number;
}

export class RemediationContext {
  /** Remediations this process started: for durations and for locating keys the informer already forgot. */
  readonly inFlight = new Map<string, InFlight>();
  /** Reports made once per remediation (lingering pods, a stalled replacement). */
  readonly reported = new Set<string>();

  constructor(readonly deps: ReconcilerDeps) {}

  locate(key: string): Located | undefined {
    const known = this.inFlight.get(key);
    if (known) return known;
    const entry = this.deps.tracker.get(key);
    if (entry) return { namespace: entry.namespace, taskId: entry.taskId, oldName: entry.name, oldAttempt: entry.attempt };
    const replacement = this.deps.tracker.replacementOf(key);
    if (replacement) {
      return {
        namespace: replacement.namespace,
        taskId: replacement.taskId,
        oldName: replacement.job.replacesName,
        oldAttempt: Math.max(0, replacement.attempt - 1),
      };
    }
    return undefined;
  }

  /** Right before every mutation: still the leader, not shutting down. */
  mayMutate(): boolean {
    return this.deps.leader.isLeader() && !this.deps.isStopping() && !this.deps.config.dryRun;
  }


  decide(subject: Subject, decision: Omit<Decision, "uid" | "job" | "namespace" | "taskId" | "attempt" | "breaker" | "leader" | "dryRun">): void {
    this.deps.decisions.record({
      ...subject,
      ...decision,
      breaker: { state: this.deps.breaker.state, reasons: this.deps.breaker.reasons },
      leader: this.deps.leader.isLeader(),
      dryRun: this.deps.config.dryRun,
    });
  }

  subjectOf(key: string, located: Located): Subject {
    return { uid: key, job: located.oldName ?? "", namespace: located.namespace, taskId: located.taskId, attempt: located.oldAttempt };
  }
}

export function subjectOfJob(job: JobJson): Subject {
  return {
    uid: job.metadata.uid ?? "",
    job: job.metadata.name ?? "",
    namespace: job.metadata.namespace ?? "",
    taskId: taskIdOf(job),
    attempt: attemptOf(job),
  };
}

export function targetOf(job: JobJson): EventTarget {
  return { namespace: job.metadata.namespace ?? "", name: job.metadata.name ?? "", uid: job.metadata.uid ?? "" };
}

export function refOf(job: JobJson): { name: string; uid?: string } {
  return { name: job.metadata.name ?? "", uid: job.metadata.uid };
}

