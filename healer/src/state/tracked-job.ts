/**
 * What the healer knows about one managed Job: the liveness facts the tracker records (on the healer's
 * own monotonic clock) and the detector reads, and the open detection episode.
 */
import type { DetectionThresholds } from "../runtime/config.ts";
import type { DisruptionEvidence, JobLifecycle } from "./job-facts.ts";
import type { JobJson } from "../kube/kube-types.ts";

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
  job: JobJson;
  thresholds: DetectionThresholds;
  overrideRejections: string[];
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

