/**
 * The detection stage: judges tracked Jobs with the detector and turns verdicts into decisions. A
 * Job's first stuck verdict opens an episode (one detection reported: decision line, Event, healer.*
 * event) and hands its UID to the work queue; while the circuit breaker is not closed, the stuck Job is
 * reported as suppressed instead.
 *
 * A tick does not judge every Job: each Job has a deadline on the review schedule (end of grace,
 * silence or stalled progress passing its threshold) and is judged when it falls due, when the tracker
 * reports a change that can alter its verdict, or on every tick while it is stuck (to see it recover
 * and to hand it to remediation again). The state gauge and the breaker's silent fraction are kept as
 * running counts of the last verdicts. A reported fault is judged at once.
 */
import type { DecisionLog } from "../outputs/decision-log.ts";
import { EVENT_REASONS, type EventRecorder } from "../outputs/events-recorder.ts";
import type { HealerEventPublisher } from "../outputs/event-publisher.ts";
import type { HealerMetrics } from "../outputs/metrics.ts";
import type { HealerConfig } from "../runtime/config.ts";
import type { Logger } from "../runtime/logger.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import type { JobTracker } from "../state/tracker.ts";
import type { BreakerUpdate, CircuitBreaker, StreamHealth } from "./breaker.ts";
import { detect, nextReviewMs, type Verdict } from "./detector.ts";
import { describeEvidence, evidenceOf, subjectOf, targetOf } from "./evidence.ts";
import { JudgedJobs } from "./job-states.ts";
import { ReviewSchedule } from "./review-schedule.ts";

export interface DetectionStageOptions {
  config: HealerConfig;
  tracker: JobTracker;
  breaker: CircuitBreaker;
  metrics: HealerMetrics;
  logger: Logger;
  decisions: DecisionLog;
  recorder: Pick<EventRecorder, "record">;
  publisher: Pick<HealerEventPublisher, "publish">;
  isLeader(): boolean;
  isStopping(): boolean;
  /** The work queue: hand a stuck Job's UID to remediation (unless already waiting there). */
  remediation: { add(uid: string): void; isPending(uid: string): boolean };
}

export class DetectionStage {
  private readonly schedule = new ReviewSchedule();
  private readonly judgedJobs = new JudgedJobs();

  constructor(private readonly options: DetectionStageOptions) {}

  /**
   * Judges the Jobs that are due, changed or stuck and updates the state gauge; on the leader, feeds
   * the breaker (the stream's health plus the silent fraction) and acts on stuck Jobs — or, when the
   * breaker just closed again after an episode, gives every Job a fresh grace period instead.
   * Returns how many Jobs it judged.
   */
  tick(nowMs: number, stream: (() => Omit<StreamHealth, "silentJobs" | "judgedJobs">) | undefined): number {
    const { tracker, metrics, breaker } = this.options;
    const review = new Set(this.schedule.takeDue(nowMs));
    for (const uid of tracker.takeChanged()) review.add(uid);
    for (const uid of this.judgedJobs.stuck) review.add(uid);
    const verdicts: Array<[TrackedJob, Verdict]> = [];
    for (const uid of review) {
      const entry = tracker.get(uid);
      if (entry) verdicts.push([entry, this.judge(entry, nowMs)]);
      else this.forget(uid);
    }
    for (const [state, count] of this.judgedJobs.countsByState()) metrics.jobsTracked.set({ state }, count);
    if (!stream) return review.size;

    const { silentJobs, judgedJobs } = this.judgedJobs;
    const update = breaker.update({ ...stream(), silentJobs, judgedJobs }, nowMs);
    this.noteBreaker(update);
    if (update.regrace) {
      // Healthy again after an episode: every Job gets a fresh grace period, nobody is judged on the outage.
      // (resetGrace reports every Job as changed, so the next tick judges them all anew.)
      tracker.resetGrace(nowMs);
      for (const entry of tracker.all()) entry.episode = undefined;
      return review.size;
    }
    for (const [entry, verdict] of verdicts) {
      if (verdict.kind === "stuck" || entry.episode) this.evaluate(entry, nowMs);
      else if (verdict.kind !== "ignored") entry.suppressionReported = false;
    }
    return review.size;
  }

  /** Logs and counts a breaker transition; keeps the breaker gauge current. */
  noteBreaker(update: BreakerUpdate): void {
    const { metrics, logger } = this.options;
    metrics.breakerOpen.set(update.state === "closed" ? 0 : 1);
    if (!update.changed) return;
    metrics.breakerTransitions.inc({ to: update.state });
    logger.warn({ breaker: update.state, previous: update.previous, reasons: update.reasons }, `circuit breaker ${update.state}`);
  }

  /** Judges one Job now and acts on the verdict (see the module comment). */
  evaluate(entry: TrackedJob, nowMs: number): Verdict {
    const verdict = this.judge(entry, nowMs);
    if (verdict.kind !== "stuck") {
      if (entry.episode) {
        if (verdict.kind === "ok" || verdict.kind === "grace") {
          this.options.decisions.record({ ...this.decisionSubject(entry), action: "detect", result: "recovered", detail: `was ${entry.episode.reason}, now ${verdict.kind}` });
        }
        entry.episode = undefined;
      }
      if (verdict.kind !== "ignored") entry.suppressionReported = false;
      return verdict;
    }
    if (!this.options.isLeader() || this.options.isStopping()) return verdict;
    if (!this.options.breaker.allowsRemediation) {
      this.reportSuppressed(entry, verdict);
      return verdict;
    }
    if (!entry.episode) this.openEpisode(entry, verdict, nowMs);
    const { remediation } = this.options;
    if (!entry.episode!.parked && !remediation.isPending(entry.uid)) remediation.add(entry.uid);
    return verdict;
  }

  /** Detects, records the verdict in the running counts and schedules the Job's next review. */
  private judge(entry: TrackedJob, nowMs: number): Verdict {
    const verdict = detect(entry, entry.thresholds, nowMs);
    this.judgedJobs.record(entry, verdict);
    this.schedule.schedule(entry.uid, nextReviewMs(entry, entry.thresholds, verdict));
    return verdict;
  }

  private forget(uid: string): void {
    this.judgedJobs.forget(uid);
    this.schedule.cancel(uid);
  }

  private openEpisode(entry: TrackedJob, verdict: Verdict & { kind: "stuck" }, nowMs: number): void {
    const { metrics, decisions, recorder, publisher } = this.options;
    entry.episode = { reason: verdict.reason, detectedAtMs: nowMs, parked: false };
    metrics.detections.inc({ reason: verdict.reason });
    if (verdict.evidence.silenceMs !== undefined && (verdict.reason === "STOP" || verdict.reason === "STALL")) {
      metrics.detectionSilence.observe((verdict.reason === "STALL" ? (verdict.evidence.noProgressMs ?? 0) : verdict.evidence.silenceMs) / 1000);
    }
    const message = `${verdict.reason}: ${describeEvidence(verdict)} (attempt ${entry.attempt})`;
    decisions.record({ ...this.decisionSubject(entry), ...evidenceOf(verdict, entry), action: "detect", result: "detected", detail: message });
    const eventReason = verdict.reason === "FAULT" ? EVENT_REASONS.faultReported : EVENT_REASONS.stuckDetected;
    void recorder.record(targetOf(entry), "Warning", eventReason, message);
    void publisher.publish("healer.detected", subjectOf(entry), { reason: verdict.reason, message });
  }

  /** Once per breaker episode and Job: the Job is stuck, but the breaker forbids acting. */
  private reportSuppressed(entry: TrackedJob, verdict: Verdict & { kind: "stuck" }): void {
    if (entry.suppressionReported) return;
    const { metrics, decisions, recorder, publisher, breaker } = this.options;
    entry.suppressionReported = true;
    metrics.remediations.inc({ action: "replace", result: "suppressed" });
    const message = `${verdict.reason} (${describeEvidence(verdict)}) not acted on: circuit breaker ${breaker.state} (${breaker.reasons.join(", ")})`;
    decisions.record({ ...this.decisionSubject(entry), ...evidenceOf(verdict, entry), action: "suppress", result: "suppressed", detail: message });
    void recorder.record(targetOf(entry), "Warning", EVENT_REASONS.remediationSuppressed, message);
    void publisher.publish("healer.suppressed", subjectOf(entry), { reason: verdict.reason, message });
  }

  private decisionSubject(entry: TrackedJob) {
    const { breaker } = this.options;
    return {
      uid: entry.uid,
      job: entry.name,
      namespace: entry.namespace,
      taskId: entry.taskId,
      attempt: entry.attempt,
      breaker: { state: breaker.state, reasons: [...breaker.reasons] },
      leader: this.options.isLeader(),
      dryRun: this.options.config.dryRun,
    };
  }
}
