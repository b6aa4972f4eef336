/**
 * The results contract: what one scenario run produced, as the engine returns it, the CLI writes it
 * (`reports/out/results/*.json`) and every report reads it. The one home of these shapes: the engine
 * (harness/) and the renderers (reports/) both import them from here, so reports never reach into the
 * executor.
 */
import type { LedgerCounts } from "../../workloads/ledger/compute.ts";
import type { EnvironmentFingerprint } from "./fingerprint.ts";
import type { PhaseName, TimelineJson } from "./timeline.ts";
import type { Verdict, VerdictReason } from "./verdict.ts";

/** A journaled mutation that could not be reverted (the journal keeps it for `chaoslab cleanup`). */
export interface RevertFailure {
  id: string;
  owner: "fault" | "setup";
  type: string;
  element: string;
  description: string;
  action: unknown;
  recordedAt: number;
  state: "pending" | "reverted" | "failed";
  revertedAt?: number;
  error?: string;
}

export type TimingVerdict = "passed" | "failed" | "inconclusive";

export interface SafetyVerdict {
  ok: boolean;
  violations: string[];
}

export interface PlannedTarget {
  kind: "pod" | "broker" | "proxy";
  /** `streamforge/loader-1-abcde`, `broker 2`, `workloads → broker 2 (127.0.0.1:31292)`. */
  id: string;
  namespace?: string;
  uid?: string;
  detail?: string;
}

export interface FaultPlan {
  fault: string;
  type: string;
  /** What would be hit now. For faults that re-select on every iteration, the first iteration's pick. */
  targets: PlannedTarget[];
  candidates: number;
  safety: SafetyVerdict;
  notes: string[];
}

export interface FaultEvidence {
  /** One line for humans: `pod loader-1-abcde (uid 1234) gone; replaced by loader-1-fghij`. */
  summary: string;
  effectConfirmedAt: number;
  observations: Record<string, unknown>;
}

export interface Leak {
  /** What leaked, for the report: `toxic latency-kill-1 on broker 2`, `broker 3 is down`. */
  what: string;
  /** How to clean it by hand if `chaoslab cleanup` cannot. */
  fix: string;
}

export interface Recovery {
  reference: number;
  detectedAt?: number;
  recoveredAt?: number;
  mttrMs?: number;
  /** Who restored service, when the expectation can tell: `job-controller`, `healer`, ... */
  restoredBy?: string;
}

export interface FaultResult {
  name: string;
  type: string;
  verdict?: "confirmed" | "inconclusive" | "broken" | "skipped" | "not-run";
  plan?: FaultPlan;
  injectedAt?: number;
  effectConfirmedAt?: number;
  revertedAt?: number;
  evidence?: FaultEvidence;
  message?: string;
}

export interface CheckResult {
  when: "before" | "after";
  index: number;
  probe: string;
  description: string;
  verdict: TimingVerdict;
  message: string;
}

export interface ExpectationResult {
  index: number;
  kind: string;
  description: string;
  verdict: Verdict;
  message: string;
  recovery?: Recovery;
  ledger?: LedgerCounts;
  evidence?: Record<string, unknown>;
}

export interface PhaseResult {
  phase: PhaseName;
  startedAt: number;
  finishedAt?: number;
}

export interface ScenarioResult {
  name: string;
  title?: string;
  file: string;
  labels: string[];
  runId: string;
  seed: number;
  verdict: Verdict;
  reasons: VerdictReason[];
  startedAt: number;
  finishedAt: number;
  phases: PhaseResult[];
  setup: { index: number; kind: string; description: string; error?: string }[];
  faults: FaultResult[];
  steadyState: CheckResult[];
  expectations: ExpectationResult[];
  ledger?: LedgerCounts;
  leaks: Leak[];
  reverts: { reverted: number; failed: RevertFailure[]; journalKept?: string };
  timeline: TimelineJson;
  fingerprint: EnvironmentFingerprint;
  /** A fault would have hit what the safety policy forbids: the scenario is invalid for this lab (exit 2, as from plan). */
  safetyViolations?: string[];
}
