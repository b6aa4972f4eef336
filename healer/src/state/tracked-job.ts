/**
 * What the healer knows about one managed Job: the liveness facts the tracker records (on the healer's
 * own monotonic clock) and the detector reads, and the open detection episode.
 */
import type { DetectionThresholds } from "../runtime/config.ts";
import { type DisruptionEvidence, type JobFacts, type JobLifecycle, NO_DISRUPTION } from "./job-facts.ts";

export const DETECTION_REASONS = ["STOP", "STALL", "REWIND", "FAULT", "DISRUPTED"] as const;
export type DetectionReason = (typeof DETECTION_REASONS)[number];

/** What the tracker knows about one Job; all times are monotonic ms of the healer's receipt. */
export interface LivenessState {
  lifecycle: JobLifecycle;
  /** A pod of this Job is Ready (grace starts when one becomes Ready). */
  hasReadyPod: boolean;
  /** Start of the current grace period: tracking began, a pod became Ready, or the breaker re-graced. */
  graceStartMs: number;
  lastEventMs?: number;
  lastProgress?: number;
  progressChangedMs?: number;
  /** The Job said it is idle / caught up: no progress is expected until it reports progress again. */
  idle: boolean;
  /** The Job said `completed`; the Job object will follow. */
  completedByEvent: boolean;
  fault?: { atMs: number; seq: number; message?: string };
  rewind?: { atMs: number; fromSeq: number; toSeq: number };
}

export interface TrackedJob extends LivenessState {
  uid: string;
  name: string;
  namespace: string;
  taskId: string;
  attempt: number;
  /** UID of the Job this one replaced (set on the healer's replacements). */
  replacesUid?: string;
  /** All the healer keeps of the Job object (shared with the Job informer's cache). */
  job: JobFacts;
  /** Shared by every Job without threshold overrides: never mutate it. */
  thresholds: DetectionThresholds;
  overrideRejections: readonly string[];
  trackedSinceMs: number;
  lastSeq?: number;
  disruption: DisruptionEvidence;
  /**
   * The open detection episode: set once when first detected, cleared when the verdict is no longer
   * stuck. `parked`: the reconciler looked and decided not to act (dry-run, skipped); the tick does not
   * hand the Job to it again until a new episode.
   */
  episode?: { reason: DetectionReason; detectedAtMs: number; parked: boolean };
  /** RemediationSuppressed already reported for the current breaker episode. */
  suppressionReported: boolean;
}

/**
 * A Job's record as tracking starts. Every field is present from the start, optional ones as undefined,
 * so all 10,000 records share one shape and keep their fields inside the object (a field added later
 * would give each record a separate property store).
 */
export function newTrackedJob(job: JobFacts, thresholds: DetectionThresholds, overrideRejections: readonly string[], nowMs: number): TrackedJob {
  return {
    uid: job.uid,
    name: job.name,
    namespace: job.namespace,
    taskId: job.taskId,
    attempt: job.attempt,
    replacesUid: job.replacesUid,
    job,
    thresholds,
    overrideRejections,
    trackedSinceMs: nowMs,
    lifecycle: "active",
    hasReadyPod: false,
    graceStartMs: nowMs,
    lastEventMs: undefined,
    lastProgress: undefined,
    progressChangedMs: undefined,
    idle: false,
    completedByEvent: false,
    fault: undefined,
    rewind: undefined,
    lastSeq: undefined,
    disruption: NO_DISRUPTION,
    episode: undefined,
    suppressionReported: false,
  };
}
