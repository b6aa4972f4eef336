/** The `healer_jobs_tracked{state}` gauge: each tracked Job counted in one state, from its verdict and lifecycle. */
import { JOB_STATES, type JobState } from "../outputs/metrics.ts";
import type { TrackedJob } from "../state/tracked-job.ts";
import { isJudged, isSilent, type Verdict } from "./detector.ts";

function stateOf(entry: TrackedJob, verdict: Verdict): JobState {
  switch (verdict.kind) {
    case "stuck":
      return "stuck";
    case "grace":
      return "grace";
    case "starting":
      return "starting";
    case "finishing":
      return "finishing";
    case "ok":
      return verdict.idle ? "idle" : "ok";
    case "ignored":
      switch (entry.lifecycle) {
        case "suspended":
          return "suspended";
        case "pending-replacement":
          return "replacing";
        case "deleting":
          return "deleting";
        case "complete":
          return "complete";
        case "gave-up":
          return "gave_up";
        default:
          return "failed";
      }
  }
}

/**
 * The last verdict of every tracked Job, reduced to what the tick reports: its gauge state and whether
 * the breaker counts it as judged and as silent. Kept up to date one Job at a time as Jobs are judged,
 * so the gauge and the breaker's silent fraction never need a scan of every Job. One small integer per
 * Job (state index and two flags): 10,000 Jobs must stay cheap.
 */
export class JudgedJobs {
  private readonly codeByUid = new Map<string, number>();
  private readonly perState = new Map<JobState, number>(JOB_STATES.map((state) => [state, 0]));
  private judged = 0;
  private silent = 0;
  /** Jobs whose last verdict was stuck: the tick looks at these every time (recovery, remediation hand-off). */
  readonly stuck = new Set<string>();

  record(entry: TrackedJob, verdict: Verdict): void {
    const state = stateOf(entry, verdict);
    const code = JOB_STATES.indexOf(state) | (isJudged(verdict) ? JUDGED : 0) | (isSilent(verdict) ? SILENT : 0);
    const previous = this.codeByUid.get(entry.uid);
    if (previous !== undefined) this.add(previous, -1);
    // Overwritten in place, not deleted and re-added: a Map keeps deleted slots until it rehashes,
    // which made this one's table twice the size of the other per-Job maps.
    this.codeByUid.set(entry.uid, code);
    this.add(code, 1);
    if (verdict.kind === "stuck") this.stuck.add(entry.uid);
    else this.stuck.delete(entry.uid);
  }

  /** The Job is no longer tracked. */
  forget(uid: string): void {
    const code = this.codeByUid.get(uid);
    if (code === undefined) return;
    this.codeByUid.delete(uid);
    this.add(code, -1);
    this.stuck.delete(uid);
  }

  /** Jobs per state, every state present (a state nobody is in reads 0, not a stale count). */
  countsByState(): ReadonlyMap<JobState, number> {
    return this.perState;
  }

  /** Active Jobs with a Ready pod (the breaker's denominator). */
  get judgedJobs(): number {
    return this.judged;
  }

  /** Jobs silent past their threshold (the breaker's numerator). */
  get silentJobs(): number {
    return this.silent;
  }

  private add(code: number, delta: 1 | -1): void {
    const state = JOB_STATES[code & STATE_MASK]!;
    this.perState.set(state, this.perState.get(state)! + delta);
    if (code & JUDGED) this.judged += delta;
    if (code & SILENT) this.silent += delta;
  }
}

const STATE_MASK = 0x1f;
const JUDGED = 0x20;
const SILENT = 0x40;
