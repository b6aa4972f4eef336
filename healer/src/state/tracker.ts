/**
 * The tracker: what the healer knows about every managed Job, keyed by Job UID (never by name: a
 * replacement may reuse nothing but the task id). Fed by three inputs — the Job informer, the Pod
 * informer and the queue-events stream — and read by the detector. All times are the healer's own
 * monotonic receipt times; the producer's `ts` never enters here.
 */
import type { QueueEvent } from "../../../workloads/queue-events/contract.ts";
import type { DetectionThresholds } from "../runtime/config.ts";
import { newTrackedJob, type TrackedJob } from "./tracked-job.ts";
import { type DisruptionEvidence, failedPodsUnaccounted, type JobFacts, type JobLifecycle, jobLifecycle, type PodFacts, withEvidence } from "./job-facts.ts";
import { type ResolvedThresholds, resolveThresholds } from "./thresholds.ts";

interface RetiredJob {
  taskId: string;
  attempt: number;
  retiredAtMs: number;
}

export type IngestOutcome =
  | { kind: "live"; job: TrackedJob; becameFaulty?: "FAULT" | "REWIND" }
  /** From an attempt that was replaced or is being torn down: never liveness for the current attempt. */
  | { kind: "zombie"; taskId: string; currentJob?: TrackedJob }
  | { kind: "unknown-job" }
  | { kind: "duplicate" };

export interface TrackerOptions {
  defaults: DetectionThresholds;
  canaryTimeoutMs: number;
  /** Retired UIDs are remembered this long to recognise zombies (then only the attempt number can). */
  retiredTtlMs?: number;
  maxRetired?: number;
}

/** Ready and not being deleted: the pod serves (grace starts when one becomes so). */
const isServing = (pod: PodFacts | undefined): boolean => pod !== undefined && pod.ready && !pod.deleting;

export class JobTracker {
  private readonly jobs = new Map<string, TrackedJob>();
  /** Live attempts per task id; an array, since a task has one Job but while it is being replaced. */
  private readonly byTask = new Map<string, TrackedJob[]>();
  /** The pods (their facts, shared with the pod informer's cache) per Job UID; an array, as a Job has one or a few. */
  private readonly podsByJob = new Map<string, PodFacts[]>();
  /** Thresholds of every Job without override annotations: resolved once, one object shared by all. */
  private readonly defaultThresholds: ResolvedThresholds;
  private readonly retired = new Map<string, RetiredJob>();
  private readonly retiredTtlMs: number;
  private readonly maxRetired: number;
  private podsSynced = false;
  /** Jobs changed since detection last took them (`takeChanged`); a heartbeat is not a change. */
  private readonly changedUids = new Set<string>();

  constructor(private readonly options: TrackerOptions) {
    this.retiredTtlMs = options.retiredTtlMs ?? 3_600_000;
    this.maxRetired = options.maxRetired ?? 50_000;
    this.defaultThresholds = resolveThresholds(undefined, options.defaults, options.canaryTimeoutMs);
  }

  get size(): number {
    return this.jobs.size;
  }

  get(uid: string): TrackedJob | undefined {
    return this.jobs.get(uid);
  }

  all(): IterableIterator<TrackedJob> {
    return this.jobs.values();
  }

  /** Live (non-retired) tracked Jobs of a task. */
  jobsOfTask(taskId: string): TrackedJob[] {
    return [...(this.byTask.get(taskId) ?? [])];
  }

  /** The tracked Job that replaces `uid` (the healer's replacement carries its predecessor's UID). */
  replacementOf(uid: string): TrackedJob | undefined {
    for (const entry of this.jobs.values()) if (entry.replacesUid === uid) return entry;
    return undefined;
  }

  /**
   * The Jobs that were added, removed or changed in a way that can alter their verdict at once or bring
   * a deadline nearer (lifecycle, pods, thresholds, idle, a reported fault or rewind, fresh grace) since
   * the last call; detection judges these now and schedules the rest by their deadlines.
   */
  takeChanged(): string[] {
    const uids = [...this.changedUids];
    this.changedUids.clear();
    return uids;
  }

  isRetired(uid: string): boolean {
    return this.retired.has(uid);
  }

  /** Job informer add/update. Returns the entry and the rejected overrides that are new with this update. */
  upsertJob(job: JobFacts, nowMs: number): { job: TrackedJob; newRejections: readonly string[] } {
    const { uid } = job;
    const existing = this.jobs.get(uid);
    const { thresholds, rejected } =
      job.thresholdAnnotations === undefined
        ? this.defaultThresholds
        : resolveThresholds(job.thresholdAnnotations, this.options.defaults, this.options.canaryTimeoutMs);
    if (!existing) {
      const entry = newTrackedJob(job, thresholds, rejected, nowMs);
      this.applyPods(entry, nowMs, false);
      entry.lifecycle = jobLifecycle(job, this.evidenceFor(entry));
      this.jobs.set(uid, entry);
      this.indexTask(entry);
      this.retired.delete(uid);
      this.changedUids.add(uid);
      return { job: entry, newRejections: rejected };
    }
    const previousLifecycle = existing.lifecycle;
    const newRejections = rejected.filter((line) => !existing.overrideRejections.includes(line));
    if (existing.taskId !== job.taskId) {
      this.unindexTask(existing);
      existing.taskId = job.taskId;
      this.indexTask(existing);
    }
    existing.job = job;
    existing.name = job.name || existing.name;
    existing.attempt = job.attempt;
    existing.replacesUid = job.replacesUid;
    existing.thresholds = thresholds;
    existing.overrideRejections = rejected;
    existing.lifecycle = jobLifecycle(job, this.evidenceFor(existing));
    if (existing.lifecycle === "active" && previousLifecycle !== "active") {
      // Resumed (unsuspended, activated replacement): a new start deserves a fresh grace period.
      existing.graceStartMs = nowMs;
    }
    this.changedUids.add(uid);
    return { job: existing, newRejections };
  }

  /** Job informer delete: the UID is remembered so late events from its workers are recognised as zombies. */
  removeJob(uid: string, nowMs: number): TrackedJob | undefined {
    const entry = this.jobs.get(uid);
    if (!entry) return undefined;
    this.jobs.delete(uid);
    this.changedUids.add(uid);
    this.unindexTask(entry);
    this.retired.set(uid, { taskId: entry.taskId, attempt: entry.attempt, retiredAtMs: nowMs });
    this.pruneRetired(nowMs);
    return entry;
  }

  /**
   * The pod informers have listed: from now on "the Job counts more failed pods than it still has" is
   * evidence that a pod was deleted (it survives healer restarts, unlike an observed deletion).
   */
  markPodsSynced(): void {
    this.podsSynced = true;
    for (const entry of this.jobs.values()) {
      entry.lifecycle = jobLifecycle(entry.job, this.evidenceFor(entry));
      this.changedUids.add(entry.uid);
    }
  }

  /** Marks a UID as replaced right away (before the informer reports the deletion). */
  retire(uid: string, taskId: string, attempt: number, nowMs: number): void {
    this.retired.set(uid, { taskId, attempt, retiredAtMs: nowMs });
  }

  upsertPod(pod: PodFacts, nowMs: number): void {
    const { jobUid } = pod;
    const pods = this.podsByJob.get(jobUid);
    const index = pods ? pods.findIndex((known) => known.uid === pod.uid) : -1;
    const previous = pods && index >= 0 ? pods[index] : undefined;
    if (!pods) this.podsByJob.set(jobUid, [pod]); // a literal: room for exactly the one pod (push would reserve 16)
    else if (index < 0) pods.push(pod);
    else pods[index] = pod;
    const entry = this.jobs.get(jobUid);
    if (!entry) return;
    const becameReady = isServing(pod) && !isServing(previous);
    this.applyPods(entry, nowMs, becameReady);
    if (pod.deleting && !(previous?.deleting ?? false) && entry.lifecycle === "active" && !pod.terminal) {
      entry.disruption = withEvidence(entry.disruption, "podDeletionObserved");
    }
    if (pod.disruptionTarget) entry.disruption = withEvidence(entry.disruption, "disruptionTarget");
    entry.lifecycle = jobLifecycle(entry.job, this.evidenceFor(entry));
    this.changedUids.add(jobUid);
  }

  removePod(pod: PodFacts, nowMs: number): void {
    const { jobUid } = pod;
    const pods = this.podsByJob.get(jobUid);
    const index = pods ? pods.findIndex((known) => known.uid === pod.uid) : -1;
    if (pods && index >= 0) pods.splice(index, 1);
    if (pods && pods.length === 0) this.podsByJob.delete(jobUid);
    const entry = this.jobs.get(jobUid);
    if (entry) {
      this.applyPods(entry, nowMs, false);
      entry.lifecycle = jobLifecycle(entry.job, this.evidenceFor(entry));
      this.changedUids.add(jobUid);
    }
  }

  /** Worker event from queue-events. `receivedMs` is the healer's monotonic receipt time. */
  ingest(event: QueueEvent, receivedMs: number): IngestOutcome {
    const entry = this.jobs.get(event.jobUid);
    if (!entry) {
      const retired = this.retired.get(event.jobUid);
      if (retired) return { kind: "zombie", taskId: retired.taskId, currentJob: this.currentAttempt(retired.taskId) };
      const current = this.currentAttempt(event.taskId);
      if (current && current.attempt > event.attempt) return { kind: "zombie", taskId: event.taskId, currentJob: current };
      return { kind: "unknown-job" };
    }
    if (entry.lifecycle === "deleting" || this.hasNewerAttempt(entry)) {
      return { kind: "zombie", taskId: entry.taskId, currentJob: this.currentAttempt(entry.taskId) };
    }

    let becameFaulty: "FAULT" | "REWIND" | undefined;
    const stallCheckedBefore = entry.lastProgress !== undefined && !entry.idle;
    const finishingBefore = entry.completedByEvent;
    if (event.type === "started") {
      // A process (re)start within the attempt legitimately begins its sequence and progress anew.
      entry.lastSeq = event.seq;
      entry.lastProgress = event.progress;
      entry.progressChangedMs = receivedMs;
      entry.idle = false;
    } else {
      if (entry.lastSeq !== undefined && event.seq === entry.lastSeq) return { kind: "duplicate" };
      if (entry.lastSeq !== undefined && event.seq < entry.lastSeq && !entry.rewind) {
        entry.rewind = { atMs: receivedMs, fromSeq: entry.lastSeq, toSeq: event.seq };
        becameFaulty = "REWIND";
      }
      entry.lastSeq = event.seq;
    }
    entry.lastEventMs = receivedMs;
    if (event.progress !== undefined && event.type !== "started") {
      if (entry.lastProgress === undefined || event.progress !== entry.lastProgress) {
        if (entry.lastProgress !== undefined && event.progress > entry.lastProgress) entry.idle = false;
        entry.lastProgress = event.progress;
        entry.progressChangedMs = receivedMs;
      }
    }
    if (event.type === "idle") entry.idle = true;
    if (event.type === "completed") entry.completedByEvent = true;
    if (event.type === "error" && event.severity === "critical" && !entry.fault) {
      entry.fault = { atMs: receivedMs, seq: event.seq, message: event.message };
      becameFaulty = "FAULT";
    }
    // A stall check that starts (first progress, idle ended) may have its deadline in the past already.
    const stallCheckedNow = entry.lastProgress !== undefined && !entry.idle;
    if (becameFaulty || stallCheckedNow !== stallCheckedBefore || entry.completedByEvent !== finishingBefore) {
      this.changedUids.add(entry.uid);
    }
    return { kind: "live", job: entry, becameFaulty };
  }

  /** Fresh grace for every Job (breaker closed again, or this replica just became the one consuming). */
  resetGrace(nowMs: number): void {
    for (const entry of this.jobs.values()) {
      entry.graceStartMs = nowMs;
      entry.suppressionReported = false;
      this.changedUids.add(entry.uid);
    }
  }

  /**
   * Forgets everything learned from the event stream (sequence, progress, reported faults): used when
   * this replica starts consuming, since it does not know what happened while it was not.
   */
  resetEventState(nowMs: number): void {
    for (const entry of this.jobs.values()) {
      entry.lastSeq = undefined;
      entry.lastEventMs = undefined;
      entry.lastProgress = undefined;
      entry.progressChangedMs = undefined;
      entry.idle = false;
      entry.completedByEvent = false;
      entry.fault = undefined;
      entry.rewind = undefined;
      entry.episode = undefined;
    }
    this.resetGrace(nowMs);
  }

  /** The task's newest live attempt, if any. */
  currentAttempt(taskId: string): TrackedJob | undefined {
    let newest: TrackedJob | undefined;
    for (const entry of this.byTask.get(taskId) ?? []) {
      if (entry.lifecycle === "deleting") continue;
      if (!newest || entry.attempt > newest.attempt) newest = entry;
    }
    return newest;
  }

  lifecycleOf(uid: string): JobLifecycle | undefined {
    return this.jobs.get(uid)?.lifecycle;
  }

  failureReasonOf(uid: string): string | undefined {
    const entry = this.jobs.get(uid);
    return entry?.job.failureReason;
  }

  private evidenceFor(entry: TrackedJob): DisruptionEvidence {
    if (entry.disruption.podDeletionObserved || !this.podsSynced) return entry.disruption;
    let failedPresent = 0;
    for (const pod of this.podsByJob.get(entry.uid) ?? []) if (pod.failed && !pod.deleting) failedPresent++;
    return {
      disruptionTarget: entry.disruption.disruptionTarget,
      podDeletionObserved: failedPodsUnaccounted(entry.job, failedPresent),
    };
  }

  private hasNewerAttempt(entry: TrackedJob): boolean { // every event asks: no arrays built
    for (const other of this.byTask.get(entry.taskId) ?? []) {
      if (other !== entry && other.attempt > entry.attempt && other.replacesUid === entry.uid) return true;
    }
    return false;
  }

  private applyPods(entry: TrackedJob, nowMs: number, becameReady: boolean): void {
    const pods = this.podsByJob.get(entry.uid) ?? [];
    entry.hasReadyPod = pods.some(isServing);
    if (pods.some((pod) => pod.disruptionTarget)) entry.disruption = withEvidence(entry.disruption, "disruptionTarget");
    if (becameReady) {
      // A new pod is a new process: its grace starts now, and what the previous process reported
      // (sequence, a critical error) no longer describes the Job.
      entry.graceStartMs = nowMs;
      entry.lastSeq = undefined;
      entry.rewind = undefined;
      entry.fault = undefined;
      entry.completedByEvent = false;
    }
  }

  private indexTask(entry: TrackedJob): void {
    const attempts = this.byTask.get(entry.taskId);
    if (!attempts) this.byTask.set(entry.taskId, [entry]);
    else if (!attempts.includes(entry)) attempts.push(entry);
  }

  private unindexTask(entry: TrackedJob): void {
    const attempts = this.byTask.get(entry.taskId);
    if (!attempts) return;
    const index = attempts.indexOf(entry);
    if (index >= 0) attempts.splice(index, 1);
    if (attempts.length === 0) this.byTask.delete(entry.taskId);
  }

  private pruneRetired(nowMs: number): void {
    for (const [uid, retired] of this.retired) {
      if (this.retired.size <= this.maxRetired && nowMs - retired.retiredAtMs < this.retiredTtlMs) break;
      this.retired.delete(uid);
    }
  }
}
