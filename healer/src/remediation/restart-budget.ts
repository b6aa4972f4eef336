/**
 * Per-task restart budget with exponential backoff. The history lives on the Job object (annotation
 * `restart-history`, carried to every replacement), so it survives healer restarts and failovers; it is
 * therefore in wall-clock time, the only time two healer processes share.
 *
 * Format: a JSON array of RFC 3339 timestamps, oldest first, at most HISTORY_LIMIT entries.
 */
import { exponentialBackoffMs } from "../runtime/clock.ts";

export const HISTORY_LIMIT = 20;

export interface BudgetOptions {
  maxRestarts: number;
  windowMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export type BudgetDecision =
  | { kind: "allow"; restartsInWindow: number }
  /** Too soon after the previous restart of this task: try again in `waitMs`. */
  | { kind: "backoff"; restartsInWindow: number; waitMs: number }
  /** The budget is spent: mark the task GaveUp and stop. */
  | { kind: "exhausted"; restartsInWindow: number };

export function parseRestartHistory(text: string | undefined): { restartsMs: number[]; problem?: string } {
  if (text === undefined || text.trim() === "") return { restartsMs: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { restartsMs: [], problem: `restart history is not JSON: ${JSON.stringify(text.slice(0, 80))}` };
  }
  if (!Array.isArray(parsed)) return { restartsMs: [], problem: "restart history is not a JSON array" };
  const restartsMs = parsed
    .map((item) => (typeof item === "string" ? Date.parse(item) : typeof item === "number" ? item : Number.NaN))
    .filter((ms) => Number.isFinite(ms))
    .sort((a, b) => a - b);
  const problem = restartsMs.length !== parsed.length ? "restart history has entries that are not timestamps (ignored)" : undefined;
  return { restartsMs, problem };
}

export function formatRestartHistory(restartsMs: number[]): string {
  return JSON.stringify(restartsMs.slice(-HISTORY_LIMIT).map((ms) => new Date(ms).toISOString()));
}

export function evaluateBudget(restartsMs: number[], nowWallMs: number, options: BudgetOptions): BudgetDecision {
  // A timestamp from the future (another replica's clock runs ahead) counts as "now", never as later.
  const inWindow = restartsMs.map((ms) => Math.min(ms, nowWallMs)).filter((ms) => nowWallMs - ms < options.windowMs);
  const restartsInWindow = inWindow.length;
  if (restartsInWindow >= options.maxRestarts) return { kind: "exhausted", restartsInWindow };
  if (restartsInWindow === 0) return { kind: "allow", restartsInWindow };
  const lastMs = Math.max(...inWindow);
  const requiredGapMs = exponentialBackoffMs(restartsInWindow, options.backoffBaseMs, options.backoffMaxMs);
  const waitMs = lastMs + requiredGapMs - nowWallMs;
  return waitMs > 0 ? { kind: "backoff", restartsInWindow, waitMs } : { kind: "allow", restartsInWindow };
}
