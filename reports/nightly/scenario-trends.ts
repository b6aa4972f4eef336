/**
 * What the history says about each scenario: its verdicts and recovery times over the runs, whether it
 * regressed or was fixed tonight, and whether it is flaky.
 *
 *  - regression: the scenario's last decisive verdict before tonight was `passed`, and tonight it `failed`.
 *    "Last decisive" skips nights on which it was broken, inconclusive, skipped or not run: a night the
 *    lab broke must not hide that a scenario went from passing to failing.
 *  - fixed: the last decisive verdict before tonight was `failed`, and tonight it `passed`.
 *  - flaky: among its last N runs (tonight included, N = `flakyWindow`, default 5) its decisive verdict
 *    flipped at least twice (passed → failed → passed, or the reverse). One flip is a regression or a fix
 *    and is reported as such; flipping back and forth is what makes a verdict untrustworthy. Broken and
 *    inconclusive nights are lab noise, not flips.
 *
 * Verdicts are taken as recorded: a retried scenario keeps the verdict of its last attempt, and nothing
 * here turns a failure into a pass; flaky is a mark next to the verdict, never a replacement for it.
 */
import type { Verdict } from "../results/verdict.ts";
import type { RunRecord } from "./run-record.ts";

export const DEFAULT_FLAKY_WINDOW = 5;

export type Change = "regression" | "fixed" | "new" | null;

export interface ScenarioTrend {
  name: string;
  /** One entry per run, oldest first; null when the scenario was not in that run. */
  verdicts: (Verdict | null)[];
  mttrMs: (number | null)[];
  timeToRollbackMs: (number | null)[];
  /** Tonight's verdict (null when tonight did not run it). */
  current: Verdict | null;
  /** The last decisive verdict before tonight, if any. */
  previous: Verdict | null;
  change: Change;
  flaky: boolean;
  /** Flips of the decisive verdict within the flaky window. */
  flips: number;
}

const isDecisive = (verdict: Verdict | null | undefined): verdict is "passed" | "failed" => verdict === "passed" || verdict === "failed";

export function countFlips(verdicts: readonly (Verdict | null)[]): number {
  const decisive = verdicts.filter(isDecisive);
  let flips = 0;
  for (let index = 1; index < decisive.length; index++) if (decisive[index] !== decisive[index - 1]) flips++;
  return flips;
}

function changeOf(previous: Verdict | null, current: Verdict | null, seenBefore: boolean): Change {
  if (current === "failed" && previous === "passed") return "regression";
  if (current === "passed" && previous === "failed") return "fixed";
  if (current !== null && !seenBefore) return "new";
  return null;
}

/** Trends of every scenario that appears in `runs` (oldest first; the last run is tonight's). */
export function scenarioTrends(runs: readonly RunRecord[], flakyWindow = DEFAULT_FLAKY_WINDOW): ScenarioTrend[] {
  if (!Number.isInteger(flakyWindow) || flakyWindow < 2) throw new Error(`flaky window ${flakyWindow}: expected a whole number of runs ≥ 2 (a flip needs two runs)`);
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.scenarios)))].sort();
  const tonight = runs.at(-1);
  const before = runs.slice(0, -1);
  return names.map((name) => {
    const verdicts = runs.map((run) => run.scenarios[name]?.verdict ?? null);
    const previous = before.map((run) => run.scenarios[name]?.verdict).filter(isDecisive).at(-1) ?? null;
    const current = tonight?.scenarios[name]?.verdict ?? null;
    const flips = countFlips(verdicts.slice(-flakyWindow));
    return {
      name,
      verdicts,
      mttrMs: runs.map((run) => run.scenarios[name]?.mttrMs ?? null),
      timeToRollbackMs: runs.map((run) => run.scenarios[name]?.timeToRollbackMs ?? null),
      current,
      previous,
      change: changeOf(previous, current, before.some((run) => run.scenarios[name] !== undefined)),
      flaky: flips >= 2,
      flips,
    };
  });
}

export const regressions = (trends: readonly ScenarioTrend[]) => trends.filter((trend) => trend.change === "regression");
export const fixes = (trends: readonly ScenarioTrend[]) => trends.filter((trend) => trend.change === "fixed");
