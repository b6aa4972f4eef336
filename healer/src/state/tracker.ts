/**
 * The tracker: what the healer knows about every managed Job, keyed by Job UID (never by name: a
 * replacement may reuse nothing but the task id). Fed by three inputs — the Job informer, the Pod
 * informer and the queue-events stream — and read by the detector. All times are the healer's own
 * monotonic receipt times; the producer's `ts` never enters here.
 */
import { ANNOTATIONS, type QueueEvent } from "../../../workloads/queue-events/contract.ts";
import type { DetectionThresholds } from "../runtime/config.ts";
import type { TrackedJob } from "./tracked-job.ts";
import {
  attemptOf,
  conditionOf,
  type DisruptionEvidence,
  failedPodsUnaccounted,
  failureOf,
  isPodReady,
  isPodTerminal,
  type JobLifecycle,
  jobLifecycle,
  jobUidOfPod,
  taskIdOf,
} from "./job-facts.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import { resolveThresholds } from "./thresholds.ts";

interface PodFacts {
  failed: boolean;
  ready: boolean;
  deleting: boolean;
  terminal: boolean;
  disruptionTarget: boolean;
}

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

export class JobTracker {
  private readonly jobs = new Map<string, TrackedJob>();
  private readonly byTask = new Map<string, Set<string>>();
  private readonly podsByJob = new Map<string, Map<string, PodFacts>>();
  private readonly retired = new Map<string, RetiredJob>();
  private readonly retiredTtlMs: number;
  private readonly maxRetired: number;
  private podsSynced = false;
  /** Jobs changed since detection last took them (`takeChanged`); a heartbeat is not a change. */
  private readonly changedUids = new Set<string>();

  constructor(private readonly options: TrackerOptions) {
    this.retiredTtlMs = options.retiredTtlMs ?? 3_600_000;
    this.maxRetired = options.maxRetired ?? 50_000;
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
    const uids = this.byTask.get(taskId);
    if (!uids) return [];
    return [...uids].map((uid) => this.jobs.get(uid)).filter((job): job is TrackedJob => job !== undefined);
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
  upsertJob(job: JobJson, nowMs: number): { job: TrackedJob; newRejections: string[] } | undefined {
    const uid = job.metadata.uid;
    if (!uid) return undefined;
    const existing = this.jobs.get(uid);
    const { thresholds, rejected } = resolveThresholds(job.metadata.annotations, this.options.defaults, this.options.canaryTimeoutMs);
    if (!existing) {
      const entry: TrackedJob = {
        uid,
        name: job.metadata.name ?? "",
        namespace: job.metadata.namespace ?? "",
        taskId: taskIdOf(job),
        attempt: attemptOf(job),
        replacesUid: job.metadata.annotations?.[ANNOTATIONS.replacesUid],
        job,
        thresholds,
        overrideRejections: rejected,
        trackedSinceMs: nowMs,
        lifecycle: "active",
        hasReadyPod: false,
        graceStartMs: nowMs,
        idle: false,
        completedByEvent: false,
        disruption: { disruptionTarget: false, podDeletionObserved: false },
        suppressionReported: false,
      };
      this.applyPods(entry, nowMs, false);
      entry.lifecycle = jobLifecycle(job, this.evidenceFor(entry));
      this.jobs.set(uid, entry);
      this.indexTask(entry.taskId, uid);
      this.retired.delete(uid);
      this.changedUids.add(uid);
      return { job: entry, newRejections: rejected };
    }
    const previousLifecycle = existing.lifecycle;
    const newRejections = rejected.filter((line) => !existing.overrideRejections.includes(line));
    if (existing.taskId !== taskIdOf(job)) {
      this.unindexTask(existing.taskId, uid);
      existing.taskId = taskIdOf(job);
      this.indexTask(existing.taskId, uid);
    }
    existing.job = job;
    existing.name = job.metadata.name ?? existing.name;
    existing.attempt = attemptOf(job);
    existing.replacesUid = job.metadata.annotations?.[ANNOTATIONS.replacesUid];
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
    this.unindexTask(entry.taskId, uid);
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

  upsertPod(pod: PodJson, nowMs: number): void {
    const jobUid = jobUidOfPod(pod);
    const podUid = pod.metadata.uid;
    if (!jobUid || !podUid) return;
    let pods = this.podsByJob.get(jobUid);
    if (!pods) {
      pods = new Map();
      this.podsByJob.set(jobUid, pods);
    }
    const previous = pods.get(podUid);
    const facts: PodFacts = {
      failed: pod.status?.phase === "Failed",
      ready: isPodReady(pod) && !pod.metadata.deletionTimestamp,
      deleting: pod.metadata.deletionTimestamp !== undefined,
      terminal: isPodTerminal(pod),
      disruptionTarget: conditionOf(pod.status?.conditions, "DisruptionTarget") !== undefined,
    };
    pods.set(podUid, facts);
    const entry = this.jobs.get(jobUid);
    if (!entry) return;
    const becameReady = facts.ready && !(previous?.ready ?? false);
    this.applyPods(entry, nowMs, becameReady);
    if (facts.deleting && !(previous?.deleting ?? false) && entry.lifecycle === "active" && !facts.terminal) {
      entry.disruption.podDeletionObserved = true;
    }
    if (facts.disruptionTarget) entry.disruption.disruptionTarget = true;
    entry.lifecycle = jobLifecycle(entry.job, this.evidenceFor(entry));
    this.changedUids.add(jobUid);
  }

  removePod(pod: PodJson, nowMs: number): void {
    const jobUid = jobUidOfPod(pod);
    const podUid = pod.metadata.uid;
    if (!jobUid || !podUid) return;
    const pods = this.podsByJob.get(jobUid);
    pods?.delete(podUid);
    if (pods && pods.size === 0) this.podsByJob.delete(jobUid);
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
    for (const uid of this.byTask.get(taskId) ?? []) {
      const entry = this.jobs.get(uid);
      if (!entry || entry.lifecycle === "deleting") continue;
      if (!newest || entry.attempt > newest.attempt) newest = entry;
    }
    return newest;
  }

  lifecycleOf(uid: string): JobLifecycle | undefined {
    return this.jobs.get(uid)?.lifecycle;
  }

  failureReasonOf(uid: string): string | undefined {
    const entry = this.jobs.get(uid);
    return entry ? failureOf(entry.job)?.reason : undefined;
  }

  private evidenceFor(entry: TrackedJob): DisruptionEvidence {
    if (entry.disruption.podDeletionObserved || !this.podsSynced) return entry.disruption;
    let failedPresent = 0;
    for (const pod of this.podsByJob.get(entry.uid)?.values() ?? []) if (pod.failed && !pod.deleting) failedPresent++;
    return {
      disruptionTarget: entry.disruption.disruptionTarget,
      podDeletionObserved: failedPodsUnaccounted(entry.job, failedPresent),
    };
  }

  private hasNewerAttempt(entry: TrackedJob): boolean { // every event asks: no arrays built
    for (const uid of this.byTask.get(entry.taskId) ?? []) {
      const other = this.jobs.get(uid);
      if (other && other.uid !== entry.uid && other.attempt > entry.attempt && other.replacesUid === entry.uid) return true;
    }
    return false;
  }

  private applyPods(entry: TrackedJob, nowMs: number, becameReady: boolean): void {
    const pods = this.podsByJob.get(entry.uid);
    entry.hasReadyPod = pods ? [...pods.values()].some((pod) => pod.ready) : false;
    if (pods) {
      for (const pod of pods.values()) {
        if (pod.disruptionTarget) entry.disruption.disruptionTarget = true;
      }
    }
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

  private indexTask(taskId: string, uid: string): void {
    let uids = this.byTask.get(taskId);
    if (!uids) {
      uids = new Set();
      this.byTask.set(taskId, uids);
    }
    uids.add(uid);
  }

  private unindexTask(taskId: string, uid: string): void {
    const uids = this.byTask.get(taskId);
    uids?.delete(uid);
    if (uids && uids.size === 0) this.byTask.delete(taskId);
  }

  private pruneRetired(nowMs: number): void {
    for (const [uid, retired] of this.retired) {
      if (this.retired.size <= this.maxRetired && nowMs - retired.retiredAtMs < this.retiredTtlMs) break;
      this.retired.delete(uid);
    }
  }
}
