/**
 * Steps 2–5 of a remediation, once the replacement exists (created just now, or found after a crash or a
 * failover): delete the old attempt, wait until its pods are gone, activate the replacement, report
 * it, and verify that it gets a pod within a bound.
 */
import { ANNOTATIONS } from "../../../workloads/queue-events/contract.ts";
import { formatDuration } from "../../../workloads/queue-events/duration.ts";
import { isConflict, isNotFound } from "../kube/kube-client.ts";
import { type JobJson, type PodJson, toEpochMs } from "../kube/kube-types.ts";
import { EVENT_REASONS } from "../outputs/events-recorder.ts";
import { annotationOf, attemptOf, HEALER_ANNOTATIONS, isPodTerminal, jobFactsOf, jobLifecycle, NO_DISRUPTION, podSelectorForJob, taskIdOf } from "../state/job-facts.ts";
import { refOf, type RemediationContext, type Subject, subjectOfJob, targetOf } from "./remediation-context.ts";
import { deleteOptionsFor } from "./replacement-spec.ts";
import type { ReconcileResult } from "./work-queue.ts";

export class ReplacementCompletion {
  constructor(private readonly ctx: RemediationContext) {}

  /** Steps 2–5; entered directly when a replacement for `key` already exists (resume after a crash). */
  async finish(key: string, old: JobJson | undefined, replacement: JobJson, startedHere: boolean): Promise<ReconcileResult> {
    const { kube, clock, config } = this.ctx.deps;
    const namespace = replacement.metadata.namespace ?? old?.metadata.namespace ?? "";
    // "replace" when this process started the remediation (even if a later pass finishes it), "resume" when it inherited it.
    const action = this.ctx.inFlight.has(key) ? "replace" : "resume";
    const subject = old
      ? subjectOfJob(old)
      : this.ctx.subjectOf(
          key,
          this.ctx.locate(key) ?? {
            namespace,
            taskId: taskIdOf(replacement),
            oldName: annotationOf(replacement, HEALER_ANNOTATIONS.replacesName),
            oldAttempt: Math.max(0, attemptOf(replacement) - 1),
          },
        );

    if (old && !old.metadata.deletionTimestamp) {
      if (!this.ctx.mayMutate()) return {};
      try {
        await kube.deleteJob(namespace, old.metadata.name ?? "", deleteOptionsFor(key));
      } catch (error) {
        // Gone already, or a different object under that name now: either way this attempt is not there.
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
      this.ctx.decide(subject, { action, result: "waiting", detail: "old attempt deleted (background propagation, uid precondition)", replacement: refOf(replacement) });
      if (startedHere) this.ctx.deps.faultPoint("after-delete");
    }

    if (annotationOf(replacement, HEALER_ANNOTATIONS.replacementPending) !== undefined) {
      const oldPods = (await kube.listPods(namespace, podSelectorForJob(key))).filter((pod) => !isPodTerminal(pod));
      if (oldPods.length > 0) {
        const deadlineMs = lingerDeadlineMs(oldPods, replacement, clock.wallMs(), config.remediation.oldPodGraceSlackMs);
        if (clock.wallMs() < deadlineMs) return { requeueAfterMs: config.remediation.pollIntervalMs };
        const lingerKey = `linger/${key}`;
        if (!this.ctx.reported.has(lingerKey)) {
          this.ctx.reported.add(lingerKey);
          const names = oldPods.map((pod) => pod.metadata.name).join(", ");
          this.ctx.decide(subject, { action, result: "lingering", detail: `old pods still present past their grace period: ${names}`, replacement: refOf(replacement) });
          await this.ctx.deps.recorder.record(
            targetOf(replacement),
            "Warning",
            EVENT_REASONS.oldAttemptLingering,
            `pods of the replaced attempt (uid ${key}) are still present past their termination grace period: ${names}; activating anyway so the task is not left without a running attempt`,
          );
        }
      }
      if (!this.ctx.mayMutate()) return {};
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
    const { metrics, clock } = this.ctx.deps;
    const reason = annotationOf(replacement, ANNOTATIONS.reason) ?? this.ctx.inFlight.get(key)?.reason ?? "unknown";
    const flight = this.ctx.inFlight.get(key);
    metrics.remediations.inc({ action, result: "success" });
    if (flight) metrics.remediationDuration.observe((clock.monotonicMs() - flight.detectedAtMs) / 1000);
    const message = `replaced ${subject.job} (uid ${key}, attempt ${subject.attempt}) with ${replacement.metadata.name} (attempt ${attemptOf(replacement)}): ${reason}`;
    this.ctx.decide(subject, { action, result: "success", reason, detail: message, replacement: refOf(replacement) });
    // On the Job that was replaced, like every other decision about it (same subject as healer.replaced),
    // even though it is gone by now: the replacement carries replaces-uid / replaces-name for the other direction.
    const target = subject.job ? { namespace: subject.namespace, name: subject.job, uid: key } : targetOf(replacement);
    await this.ctx.deps.recorder.record(target, "Normal", EVENT_REASONS.replaced, message);
    await this.ctx.deps.publisher.publish(
      "healer.replaced",
      { uid: key, name: subject.job, namespace: subject.namespace, taskId: subject.taskId, attempt: subject.attempt },
      { reason, message, replacementJobName: replacement.metadata.name, replacementJobUid: replacement.metadata.uid },
    );
  }

  private async verify(key: string, subject: Subject, replacement: JobJson, action: "replace" | "resume"): Promise<ReconcileResult> {
    const { kube, clock, config } = this.ctx.deps;
    const uid = replacement.metadata.uid ?? "";
    const status = replacement.status ?? {};
    const podCount = (status.active ?? 0) + (status.succeeded ?? 0) + (status.failed ?? 0) + (status.terminating ?? 0);
    const lifecycle = jobLifecycle(jobFactsOf(replacement), NO_DISRUPTION);
    if (podCount > 0 || lifecycle !== "active" || (uid && (await kube.listPods(subject.namespace, podSelectorForJob(uid))).length > 0)) {
      this.ctx.inFlight.delete(key);
      return {};
    }
    const startedMs = toEpochMs(status.startTime) ?? toEpochMs(replacement.metadata.creationTimestamp) ?? clock.wallMs();
    const remainingMs = startedMs + config.remediation.replacementPodTimeoutMs - clock.wallMs();
    if (remainingMs > 0) return { requeueAfterMs: remainingMs };
    if (!this.ctx.reported.has(`stalled/${uid}`)) {
      this.ctx.reported.add(`stalled/${uid}`);
      const message = `replacement ${replacement.metadata.name} has no pod ${formatDuration(Math.round(config.remediation.replacementPodTimeoutMs))} after it started (quota? scheduling? admission?); the healer will not retry it`;
      this.ctx.deps.metrics.remediations.inc({ action, result: "stalled" });
      this.ctx.decide(subject, { action: "verify", result: "stalled", detail: message, replacement: refOf(replacement) });
      await this.ctx.deps.recorder.record(targetOf(replacement), "Warning", EVENT_REASONS.replacementStalled, message);
    }
    this.ctx.inFlight.delete(key);
    return {};
  }
}

/**
 * When to stop waiting for the old attempt's pods: a pod being deleted has deletionTimestamp = the end
 * of its grace period; one not yet marked (the garbage collector has not got to it) gets its grace
 * period counted from the replacement's creation. Plus slack for the kubelet to report.
 */
function lingerDeadlineMs(pods: PodJson[], replacement: JobJson, wallNowMs: number, slackMs: number): number {
  const createdMs = toEpochMs(replacement.metadata.creationTimestamp) ?? wallNowMs;
  let deadline = 0;
  for (const pod of pods) {
    const graceEndMs = toEpochMs(pod.metadata.deletionTimestamp) ?? createdMs + (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    deadline = Math.max(deadline, graceEndMs);
  }
  return deadline + slackMs;
}
