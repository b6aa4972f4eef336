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
import { ANNOTATIONS, LABELS } from "../../../workloads/queue-events/contract.ts";
import { formatDuration } from "../../../workloads/queue-events/duration.ts";
import { detect, type Verdict } from "../detection/detector.ts";
import { describeEvidence } from "../detection/evidence.ts";
import { isAlreadyExists } from "../kube/kube-client.ts";
import type { JobJson } from "../kube/kube-types.ts";
import { EVENT_REASONS } from "../outputs/events-recorder.ts";
import type { RemediationResult } from "../outputs/metrics.ts";
import type { FaultPoint } from "../runtime/config.ts";
import { annotationOf, attemptOf, disruptionEvidenceFromPods, HEALER_ANNOTATIONS, jobFactsOf, jobLifecycle, podSelectorForJob } from "../state/job-facts.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { JobTracker } from "../state/tracker.ts";
import { PermanentError, type ReconcilerDeps, RemediationContext, type Subject, subjectOfJob, targetOf } from "./remediation-context.ts";
import { ReplacementCompletion } from "./replacement-completion.ts";
import { buildReplacementJob, replacementName } from "./replacement-spec.ts";
import { evaluateBudget, formatRestartHistory, parseRestartHistory } from "./restart-budget.ts";
import type { ReconcileResult } from "./work-queue.ts";

export class Reconciler {
  private readonly ctx: RemediationContext;
  private readonly deps: ReconcilerDeps;
  private readonly completion: ReplacementCompletion;

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
    this.ctx = new RemediationContext(deps);
    this.completion = new ReplacementCompletion(this.ctx);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (this.deps.isStopping()) return {};
    const located = this.ctx.locate(key);
    if (!located) return {};
    try {
      const siblings = await this.deps.kube.listJobs(located.namespace, `${LABELS.taskId}=${located.taskId}`);
      let old = siblings.find((job) => job.metadata.uid === key);
      if (!old && located.oldName) {
        const byName = await this.deps.kube.readJob(located.namespace, located.oldName);
        if (byName?.metadata.uid === key) old = byName;
      }
      const replacement = siblings.find((job) => annotationOf(job, ANNOTATIONS.replacesUid) === key);
      if (replacement) return await this.completion.finish(key, old, replacement, false);
      if (!old) {
        this.ctx.inFlight.delete(key);
        return {};
      }
      return await this.remediate(key, old, siblings);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      const subject = this.ctx.subjectOf(key, located);
      this.ctx.decide(subject, { action: "replace", result: "error", detail: error.message });
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
      this.ctx.inFlight.delete(key);
      return {};
    }
  }

  /** Keys of remediations this process is carrying out (tests and shutdown logs). */
  inFlightKeys(): string[] {
    return [...this.ctx.inFlight.keys()];
  }

  private async remediate(key: string, old: JobJson, siblings: JobJson[]): Promise<ReconcileResult> {
    const { tracker, clock, config, kube } = this.deps;
    const entry = tracker.get(key);
    if (!entry) return {};
    const subject = subjectOfJob(old);
    const nowMs = clock.monotonicMs();

    // Fresh facts: the object just read, plus its pods when it failed (disrupted or not?).
    const facts = jobFactsOf(old);
    let evidence = entry.disruption;
    if (facts.failed) {
      const fresh = disruptionEvidenceFromPods(facts, await kube.listPods(subject.namespace, podSelectorForJob(key)));
      evidence = {
        disruptionTarget: evidence.disruptionTarget || fresh.disruptionTarget,
        podDeletionObserved: evidence.podDeletionObserved || fresh.podDeletionObserved,
      };
    }
    const verdict = detect({ ...entry, lifecycle: jobLifecycle(facts, evidence) }, entry.thresholds, nowMs);
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
      this.record(subject, entry, verdict, "replace", "backoff", `restart ${budget.restartsInWindow + 1} of the task waits ${formatDuration(Math.round(budget.waitMs))} (exponential backoff)`);
      return { requeueAfterMs: budget.waitMs };
    }
    if (!this.deps.rateLimiter.tryTake()) {
      const waitMs = Math.max(100, this.deps.rateLimiter.msUntilNextToken());
      this.record(subject, entry, verdict, "replace", "rate-limited", `global remediation rate limit; next token in ${formatDuration(Math.round(waitMs))}`);
      return { requeueAfterMs: waitMs };
    }

    await this.reachFaultPoint("after-detect", old);
    const attempt = attemptOf(old) + 1;
    const name = replacementName(subject.taskId, attempt);
    this.ctx.inFlight.set(key, {
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
      `${verdict.reason}: replacing attempt ${subject.attempt} with ${name} (${describeEvidence(verdict)}); restart ${budget.restartsInWindow + 1}/${config.budget.maxRestarts} in ${formatDuration(Math.round(config.budget.windowMs))}`,
    );
    if (!this.ctx.mayMutate()) return {};
    const created = await this.createReplacement(subject.namespace, desired, key);
    this.record(subject, entry, verdict, "replace", "waiting", "replacement created suspended", { name, uid: created.metadata.uid });
    await this.reachFaultPoint("after-create", old);
    return this.completion.finish(key, old, created, true);
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

  private async giveUp(old: JobJson, entry: TrackedJob, verdict: Verdict & { kind: "stuck" }, restartsInWindow: number): Promise<ReconcileResult> {
    const { config, kube, metrics, clock } = this.deps;
    const subject = subjectOfJob(old);
    if (!this.ctx.mayMutate()) return {};
    await kube.patchJob(subject.namespace, subject.job, {
      metadata: { uid: subject.uid, annotations: { [ANNOTATIONS.gaveUp]: new Date(clock.wallMs()).toISOString() } },
    });
    metrics.budgetExhausted.inc();
    metrics.remediations.inc({ action: "give-up", result: "success" });
    const message = `${verdict.reason}: restart budget exhausted (${restartsInWindow} restarts within ${formatDuration(Math.round(config.budget.windowMs))}, budget ${config.budget.maxRestarts}); GaveUp: the healer leaves this task alone until ${ANNOTATIONS.gaveUp} is removed`;
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
    this.ctx.decide(subject, {
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

