/**
 * The reconciler: one idempotent pass over one key (the UID of a Job that may need replacing). It
 * re-reads everything from the API server (never the cache), re-checks every safety rule right before
 * each mutation, and derives "where was I" from the objects alone — so a healer that died between any
 * two steps, or a new leader, finishes the remediation from whatever state the cluster is in.
 *
 * The remediation, step by step (each step is safe to repeat):
 *  1. create the replacement `<task>-r<N>` SUSPENDED, marked replacement-pending and replaces-uid=<old>;
 *     409 AlreadyExists with our replaces-uid = done already;
 *  2. delete the old Job (propagationPolicy + preconditions.uid in the body); 404 / 409 = done already;
 *  3. wait until the old attempt's pods are gone (bounded by their termination grace + slack);
 *  4. activate the replacement (unsuspend, drop the pending mark);
 *  5. verify the replacement gets a pod within a bound, else ReplacementStalled (no loop).
 * The task therefore always has a Job (the replacement exists before the old one is deleted), and two
 * attempts never run side by side (the replacement has no pods until the old attempt's are gone) —
 * the right order for loaders with side effects.
 */
import { ANNOTATIONS, LABELS } from "../../workloads/queue-events/contract.ts";
import type { Clock } from "./clock.ts";
import type { FaultPoint, HealerConfig } from "./config.ts";
import type { DecisionLog, Decision } from "./decision-log.ts";
import { type DetectionReason, detect, type Verdict } from "./detector.ts";
import { formatDurationMs } from "./duration.ts";
import type { HealerEventPublisher } from "./event-publisher.ts";
import { EVENT_REASONS, type EventRecorder, type EventTarget } from "./events-recorder.ts";
import {
  annotationOf,
  attemptOf,
  disruptionEvidenceFromPods,
  failureOf,
  HEALER_ANNOTATIONS,
  isPodTerminal,
  jobLifecycle,
  podSelectorForJob,
  taskIdOf,
} from "./job-facts.ts";
import type { KubeApi } from "./kube-api.ts";
import { isAlreadyExists, isConflict, isNotFound } from "./kube-client.ts";
import { type JobJson, type PodJson, toEpochMs } from "./kube-types.ts";
import type { HealerMetrics, RemediationResult } from "./metrics.ts";
import type { TokenBucket } from "./rate-limiter.ts";
import { buildReplacementJob, deleteOptionsFor, replacementName } from "./replacement-spec.ts";
import { evaluateBudget, formatRestartHistory, parseRestartHistory } from "./restart-budget.ts";
import type { JobTracker, TrackedJob } from "./tracker.ts";
import type { ReconcileResult } from "./work-queue.ts";

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
class PermanentError extends Error {}

interface Located {
  namespace: string;
  taskId: string;
  oldName?: string;
  oldAttempt: number;
}

interface InFlight extends Located {
  reason: DetectionReason;
  detectedAtMs: number;
}

interface Subject {
  uid: string;
  job: string;
  namespace: string;
  taskId: string;
  attempt: number;
}

export class Reconciler {
  /** Remediations this process started: for durations and for locating keys the informer already forgot. */
  private readonly inFlight = new Map<string, InFlight>();
  private readonly reported = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    if (this.deps.isStopping()) return {};
    const located = this.locate(key);
    if (!located) return {};
    try {
      const siblings = await this.deps.kube.listJobs(located.namespace, `${LABELS.taskId}=${located.taskId}`);
      let old = siblings.find((job) => job.metadata.uid === key);
      if (!old && located.oldName) {
        const byName = await this.deps.kube.readJob(located.namespace, located.oldName);
        if (byName?.metadata.uid === key) old = byName;
      }
      const replacement = siblings.find((job) => annotationOf(job, ANNOTATIONS.replacesUid) === key);
      if (replacement) return await this.finish(key, old, replacement, false);
      if (!old) {
        this.inFlight.delete(key);
        return {};
      }
      return await this.remediate(key, old, siblings);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      const subject = this.subjectOf(key, located);
      this.decide(subject, { action: "replace", result: "error", detail: error.message });
      this.deps.metrics.remediations.inc({ action: "replace", result: "error" });
      const episode = this.deps.tracker.get(key)?.episode;
      if (episode) episode.parked = true;
      if (located.oldName) {
        await this.deps.recorder.record(
          { namespace: located.namespace, name: located.oldName, uid: key },
          "Warning",
          EVENT_REASONS.replacementStalled,
          error.message,
        );
      }
      this.inFlight.delete(key);
      return {};
    }
  }

  /** Keys of remediations this process is carrying out (tests and shutdown logs). */
  inFlightKeys(): string[] {
    return [...this.inFlight.keys()];
  }

  private locate(key: string): Located | undefined {
    const known = this.inFlight.get(key);
    if (known) return known;
    const entry = this.deps.tracker.get(key);
    if (entry) return { namespace: entry.namespace, taskId: entry.taskId, oldName: entry.name, oldAttempt: entry.attempt };
    const replacement = this.deps.tracker.replacementOf(key);
    if (replacement) {
      return {
        namespace: replacement.namespace,
        taskId: replacement.taskId,
        oldName: annotationOf(replacement.job, HEALER_ANNOTATIONS.replacesName),
        oldAttempt: Math.max(0, replacement.attempt - 1),
      };
    }
    return undefined;
  }

  private async remediate(key: string, old: JobJson, siblings: JobJson[]): Promise<ReconcileResult> {
    const { tracker, clock, config, kube } = this.deps;
    const entry = tracker.get(key);
    if (!entry) return {};
    const subject = subjectOfJob(old);
    const nowMs = clock.monotonicMs();

    // Fresh facts: the object just read, plus its pods when it failed (disrupted or not?).
    let evidence = entry.disruption;
    if (failureOf(old)) {
      const fresh = disruptionEvidenceFromPods(old, await kube.listPods(subject.namespace, podSelectorForJob(key)));
      evidence = {
        disruptionTarget: evidence.disruptionTarget || fresh.disruptionTarget,
        podDeletionObserved: evidence.podDeletionObserved || fresh.podDeletionObserved,
      };
    }
    const verdict = detect({ ...entry, lifecycle: jobLifecycle(old, evidence) }, entry.thresholds, nowMs);
    if (verdict.kind !== "stuck") {
      const detail = verdict.kind === "ignored" ? `Job is ${verdict.lifecycle}: never acted on` : `Job is ${verdict.kind} again`;
      this.record(subject, entry, verdict, "replace", verdict.kind === "ignored" ? "skipped" : "recovered", detail);
      return {};
    }
    const newer = siblings.find(
      (job) => job.metadata.uid !== key && !job.metadata.deletionTimestamp && attemptOf(job) > attemptOf(old),
    );
    if (newer) {
      this.record(subject, entry, verdict, "replace", "skipped", `task already has a newer attempt: ${newer.metadata.name}`);
      return {};
    }
    if (!this.deps.breaker.allowsRemediation) {
      this.record(subject, entry, verdict, "replace", "suppressed", `circuit breaker ${this.deps.breaker.state}`);
      return {};
    }
    if (!this.deps.leader.isLeader()) {
      this.record(subject, entry, verdict, "replace", "not-leader");
      return {};
    }
    if (config.dryRun) {
      this.record(subject, entry, verdict, "replace", "dry-run", "dry-run: would replace");
      return {};
    }

    const history = parseRestartHistory(annotationOf(old, ANNOTATIONS.restartHistory));
    const wallNowMs = clock.wallMs();
    const budget = evaluateBudget(history.restartsMs, wallNowMs, config.budget);
    if (budget.kind === "exhausted") return this.giveUp(old, entry, verdict, budget.restartsInWindow);
    if (budget.kind === "backoff") {
      this.record(subject, entry, verdict, "replace", "backoff", `restart ${budget.restartsInWindow + 1} of the task waits ${formatDurationMs(budget.waitMs)} (exponential backoff)`);
      return { requeueAfterMs: budget.waitMs };
    }
    if (!this.deps.rateLimiter.tryTake()) {
      const waitMs = Math.max(100, this.deps.rateLimiter.msUntilNextToken());
      this.record(subject, entry, verdict, "replace", "rate-limited", `global remediation rate limit; next token in ${formatDurationMs(waitMs)}`);
      return { requeueAfterMs: waitMs };
    }

    await this.reachFaultPoint("after-detect", old);
    const attempt = attemptOf(old) + 1;
    const name = replacementName(subject.taskId, attempt);
    this.inFlight.set(key, {
      namespace: subject.namespace,
      taskId: subject.taskId,
      oldName: subject.job,
      oldAttempt: subject.attempt,
      reason: verdict.reason,
      detectedAtMs: entry.episode?.detectedAtMs ?? nowMs,
    });
    const desired = buildReplacementJob(old, {
      taskId: subject.taskId,
      attempt,
      replacesUid: key,
      reason: verdict.reason,
      restartHistory: formatRestartHistory([...history.restartsMs, wallNowMs]),
    });
    await this.deps.recorder.record(
      targetOf(old),
      "Normal",
      EVENT_REASONS.replacing,
      `${verdict.reason}: replacing attempt ${subject.attempt} with ${name} (${describeEvidence(verdict)}); restart ${budget.restartsInWindow + 1}/${config.budget.maxRestarts} in ${formatDurationMs(config.budget.windowMs)}`,
    );
    if (!this.mayMutate()) return {};
    const created = await this.createReplacement(subject.namespace, desired, key);
    this.record(subject, entry, verdict, "replace", "waiting", "replacement created suspended", { name, uid: created.metadata.uid });
    await this.reachFaultPoint("after-create", old);
    return this.finish(key, old, created, true);
  }

  private async createReplacement(namespace: string, desired: JobJson, oldUid: string): Promise<JobJson> {
    try {
      return await this.deps.kube.createJob(namespace, desired);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const name = desired.metadata.name ?? "";
      const existing = await this.deps.kube.readJob(namespace, name);
      if (!existing) throw error;
      // Idempotent: our own earlier create (before a crash or a lost response).
      if (annotationOf(existing, ANNOTATIONS.replacesUid) === oldUid) return existing;
      throw new PermanentError(
        `replacement name ${namespace}/${name} is taken by Job uid ${existing.metadata.uid ?? "?"}, which does not replace ${oldUid}; rename or delete it to let the healer proceed`,
      );
    }
  }

  /** Steps 2–5; entered directly when a replacement for `key` already exists (resume after a crash). */
  private async finish(key: string, old: JobJson | undefined, replacement: JobJson, startedHere: boolean): Promise<ReconcileResult> {
    const { kube, clock, config } = this.deps;
    const namespace = replacement.metadata.namespace ?? old?.metadata.namespace ?? "";
    // "replace" when this process started the remediation (even if a later pass finishes it), "resume" when it inherited it.
    const action = this.inFlight.has(key) ? "replace" : "resume";
    const subject = old
      ? subjectOfJob(old)
      : this.subjectOf(
          key,
          this.locate(key) ?? {
            namespace,
            taskId: taskIdOf(replacement),
            oldName: annotationOf(replacement, HEALER_ANNOTATIONS.replacesName),
            oldAttempt: Math.max(0, attemptOf(replacement) - 1),
          },
        );

    if (old && !old.metadata.deletionTimestamp) {
      if (!this.mayMutate()) return {};
      try {
        await kube.deleteJob(namespace, old.metadata.name ?? "", deleteOptionsFor(key));
      } catch (error) {
        // Gone already, or a different object under that name now: either way this attempt is not there.
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
      this.decide(subject, { action, result: "waiting", detail: "old attempt deleted (background propagation, uid precondition)", replacement: refOf(replacement) });
      if (startedHere) this.deps.faultPoint("after-delete");
    }

    if (annotationOf(replacement, HEALER_ANNOTATIONS.replacementPending) !== undefined) {
      const oldPods = (await kube.listPods(namespace, podSelectorForJob(key))).filter((pod) => !isPodTerminal(pod));
      if (oldPods.length > 0) {
        const deadlineMs = lingerDeadlineMs(oldPods, replacement, clock.wallMs(), config.remediation.oldPodGraceSlackMs);
        if (clock.wallMs() < deadlineMs) return { requeueAfterMs: config.remediation.pollIntervalMs };
        const lingerKey = `linger/${key}`;
        if (!this.reported.has(lingerKey)) {
          this.reported.add(lingerKey);
          const names = oldPods.map((pod) => pod.metadata.name).join(", ");
          this.decide(subject, { action, result: "lingering", detail: `old pods still present past their grace period: ${names}`, replacement: refOf(replacement) });
          await this.deps.recorder.record(
            targetOf(replacement),
            "Warning",
            EVENT_REASONS.oldAttemptLingering,
            `pods of the replaced attempt (uid ${key}) are still present past their termination grace period: ${names}; activating anyway so the task is not left without a running attempt`,
          );
        }
      }
      if (!this.mayMutate()) return {};
      const activated = await kube.patchJob(namespace, replacement.metadata.name ?? "", {
        // `uid` in a merge patch acts as a precondition: a different object under that name fails (uid is immutable).
        metadata: { uid: replacement.metadata.uid, annotations: { [HEALER_ANNOTATIONS.replacementPending]: null } },
        spec: { suspend: false },
      });
      await this.reportReplaced(key, subject, activated, action);
      return { requeueAfterMs: config.remediation.replacementPodTimeoutMs };
    }
    return this.verify(key, subject, replacement, action);
  }

  private async reportReplaced(key: string, subject: Subject, replacement: JobJson, action: "replace" | "resume"): Promise<void> {
    const { metrics, clock } = this.deps;
    const reason = annotationOf(replacement, ANNOTATIONS.reason) ?? this.inFlight.get(key)?.reason ?? "unknown";
    const flight = this.inFlight.get(key);
    metrics.remediations.inc({ action, result: "success" });
    if (flight) metrics.remediationDuration.observe((clock.monotonicMs() - flight.detectedAtMs) / 1000);
    const message = `replaced ${subject.job} (uid ${key}, attempt ${subject.attempt}) with ${replacement.metadata.name} (attempt ${attemptOf(replacement)}): ${reason}`;
    this.decide(subject, { action, result: "success", reason, detail: message, replacement: refOf(replacement) });
    // On the Job that was replaced, like every other decision about it (same subject as healer.replaced),
    // even though it is gone by now: the replacement carries replaces-uid / replaces-name for the other direction.
    const target = subject.job ? { namespace: subject.namespace, name: subject.job, uid: key } : targetOf(replacement);
    await this.deps.recorder.record(target, "Normal", EVENT_REASONS.replaced, message);
    await this.deps.publisher.publish(
      "healer.replaced",
      { uid: key, name: subject.job, namespace: subject.namespace, taskId: subject.taskId, attempt: subject.attempt },
      { reason, message, replacementJobName: replacement.metadata.name, replacementJobUid: replacement.metadata.uid },
    );
  }

  private async verify(key: string, subject: Subject, replacement: JobJson, action: "replace" | "resume"): Promise<ReconcileResult> {
    const { kube, clock, config } = this.deps;
    const uid = replacement.metadata.uid ?? "";
    const status = replacement.status ?? {};
    const podCount = (status.active ?? 0) + (status.succeeded ?? 0) + (status.failed ?? 0) + (status.terminating ?? 0);
    const lifecycle = jobLifecycle(replacement, { disruptionTarget: false, podDeletionObserved: false });
    if (podCount > 0 || lifecycle !== "active" || (uid && (await kube.listPods(subject.namespace, podSelectorForJob(uid))).length > 0)) {
      this.inFlight.delete(key);
      return {};
    }
    const startedMs = toEpochMs(status.startTime) ?? toEpochMs(replacement.metadata.creationTimestamp) ?? clock.wallMs();
    const remainingMs = startedMs + config.remediation.replacementPodTimeoutMs - clock.wallMs();
    if (remainingMs > 0) return { requeueAfterMs: remainingMs };
    if (!this.reported.has(`stalled/${uid}`)) {
      this.reported.add(`stalled/${uid}`);
      const message = `replacement ${replacement.metadata.name} has no pod ${formatDurationMs(config.remediation.replacementPodTimeoutMs)} after it started (quota? scheduling? admission?); the healer will not retry it`;
      this.deps.metrics.remediations.inc({ action, result: "stalled" });
      this.decide(subject, { action: "verify", result: "stalled", detail: message, replacement: refOf(replacement) });
      await this.deps.recorder.record(targetOf(replacement), "Warning", EVENT_REASONS.replacementStalled, message);
    }
    this.inFlight.delete(key);
    return {};
  }

  private async giveUp(old: JobJson, entry: TrackedJob, verdict: Verdict & { kind: "stuck" }, restartsInWindow: number): Promise<ReconcileResult> {
    const { config, kube, metrics, clock } = this.deps;
    const subject = subjectOfJob(old);
    if (!this.mayMutate()) return {};
    await kube.patchJob(subject.namespace, subject.job, {
      metadata: { uid: subject.uid, annotations: { [ANNOTATIONS.gaveUp]: new Date(clock.wallMs()).toISOString() } },
    });
    metrics.budgetExhausted.inc();
    metrics.remediations.inc({ action: "give-up", result: "success" });
    const message = `${verdict.reason}: restart budget exhausted (${restartsInWindow} restarts within ${formatDurationMs(config.budget.windowMs)}, budget ${config.budget.maxRestarts}); GaveUp: the healer leaves this task alone until ${ANNOTATIONS.gaveUp} is removed`;
    this.record(subject, entry, verdict, "give-up", "success", message);
    await this.deps.recorder.record(targetOf(old), "Warning", EVENT_REASONS.restartBudgetExhausted, message);
    return {};
  }

  /**
   * The HEALER_FAULT_POINT test hook. A healer that dies here is replaced by another process with the
   * same environment (the standby, or the restarted container); had it not yet created the
   * replacement, that process would start the same remediation afresh and die at the same point,
   * forever. So the point is marked on the Job acted on before the kill, and never fires again for a
   * Job that carries the mark: once per remediation, across processes. Only when the hook is set.
   */
  private async reachFaultPoint(point: FaultPoint, old: JobJson): Promise<void> {
    if (this.deps.config.faultPoint === point) {
      if (annotationOf(old, HEALER_ANNOTATIONS.faultPointFired) === point) return;
      await this.deps.kube
        .patchJob(old.metadata.namespace ?? "", old.metadata.name ?? "", {
          metadata: { uid: old.metadata.uid, annotations: { [HEALER_ANNOTATIONS.faultPointFired]: point } },
        })
        .catch(() => undefined);
    }
    this.deps.faultPoint(point);
  }

  /** Right before every mutation: still the leader, not shutting down. */
  private mayMutate(): boolean {
    return this.deps.leader.isLeader() && !this.deps.isStopping() && !this.deps.config.dryRun;
  }

  private record(
    subject: Subject,
    entry: TrackedJob,
    verdict: Verdict,
    action: "replace" | "give-up",
    result: RemediationResult | "waiting",
    detail?: string,
    replacement?: { name: string; uid?: string },
  ): void {
    if (result !== "waiting" && result !== "success") this.deps.metrics.remediations.inc({ action, result });
    // Looked and chose not to act: the tick does not hand this episode back (no API polling loop).
    if ((result === "dry-run" || result === "skipped" || result === "recovered") && entry.episode) entry.episode.parked = true;
    this.decide(subject, {
      action,
      result,
      reason: verdict.kind === "stuck" ? verdict.reason : undefined,
      silenceMs: verdict.kind === "stuck" ? verdict.evidence.silenceMs : verdict.kind === "ok" ? verdict.silenceMs : undefined,
      noProgressMs: verdict.kind === "stuck" ? verdict.evidence.noProgressMs : undefined,
      thresholds: entry.thresholds,
      detail,
      replacement,
    });
  }

  private decide(subject: Subject, decision: Omit<Decision, "uid" | "job" | "namespace" | "taskId" | "attempt" | "breaker" | "leader" | "dryRun">): void {
    this.deps.decisions.record({
      ...subject,
      ...decision,
      breaker: { state: this.deps.breaker.state, reasons: this.deps.breaker.reasons },
      leader: this.deps.leader.isLeader(),
      dryRun: this.deps.config.dryRun,
    });
  }

  private subjectOf(key: string, located: Located): Subject {
    return { uid: key, job: located.oldName ?? "", namespace: located.namespace, taskId: located.taskId, attempt: located.oldAttempt };
  }
}

/**
 * Keys a (new) leader must look at at once, from the objects alone: every remediation a previous
 * process left unfinished — a pending replacement, or a replacement whose predecessor still exists.
 */
export function keysToResume(tracker: JobTracker): string[] {
  const keys = new Set<string>();
  for (const entry of tracker.all()) {
    if (!entry.replacesUid) continue;
    if (entry.lifecycle === "pending-replacement" || tracker.get(entry.replacesUid)) keys.add(entry.replacesUid);
  }
  return [...keys];
}

function subjectOfJob(job: JobJson): Subject {
  return {
    uid: job.metadata.uid ?? "",
    job: job.metadata.name ?? "",
    namespace: job.metadata.namespace ?? "",
    taskId: taskIdOf(job),
    attempt: attemptOf(job),
  };
}

function targetOf(job: JobJson): EventTarget {
  return { namespace: job.metadata.namespace ?? "", name: job.metadata.name ?? "", uid: job.metadata.uid ?? "" };
}

function refOf(job: JobJson): { name: string; uid?: string } {
  return { name: job.metadata.name ?? "", uid: job.metadata.uid };
}

export function describeEvidence(verdict: Verdict & { kind: "stuck" }): string {
  const { evidence } = verdict;
  if (verdict.reason === "STOP" && evidence.silenceMs !== undefined) {
    return `silent ${formatDurationMs(evidence.silenceMs)} > ${formatDurationMs(evidence.thresholdMs ?? 0)}`;
  }
  if (verdict.reason === "STALL" && evidence.noProgressMs !== undefined) {
    return `no progress for ${formatDurationMs(evidence.noProgressMs)} > ${formatDurationMs(evidence.thresholdMs ?? 0)}`;
  }
  return evidence.detail ?? verdict.reason;
}

/**
 * When to stop waiting for the old attempt's pods: a pod being deleted has deletionTimestamp = the end
 * of its grace period; one not yet marked (the garbage collector has not got to it) gets its grace
 * period counted from the replacement's creation. Plus slack for the kubelet to report.
 */
export function lingerDeadlineMs(pods: PodJson[], replacement: JobJson, wallNowMs: number, slackMs: number): number {
  const createdMs = toEpochMs(replacement.metadata.creationTimestamp) ?? wallNowMs;
  let deadline = 0;
  for (const pod of pods) {
    const graceEndMs = toEpochMs(pod.metadata.deletionTimestamp) ?? createdMs + (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    deadline = Math.max(deadline, graceEndMs);
  }
  return deadline + slackMs;
}
