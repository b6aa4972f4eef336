/**
 * The resilience score of one run: how much of what the suite expects held, weighted per scenario.
 * LitmusChaos and Harness score an experiment by probe success; ours scores by the scenario's checks
 * (its `expect` entries and its steady-state checks), because those are what a verdict is made of.
 *
 *   scenario points  p_s = held_s / checks_s        checks that passed / checks with a decisive verdict
 *                    (a `failed` scenario whose failure no check recorded gets p_s = 0: a failed
 *                     scenario never scores full)
 *   run score        S   = 100 × Σ w_s · p_s / Σ w_s  over the scenarios with a decisive verdict
 *                                                     (passed or failed)
 *
 * Scenarios that ended broken, inconclusive or skipped are left out of both sums: they say nothing about
 * StreamForge's resilience, only about the lab; the summary counts them apart ("not scored"). A run in which
 * nothing was decisive has no score (null), never 0 or 100 — no data is never a pass.
 *
 * Weights w_s come from the scenario's labels (LABEL_WEIGHTS; the largest applies, default 1), and each
 * run records the weight it used, so an old run's score does not change when the table does.
 */
import type { Verdict } from "../results/verdict.ts";

/**
 * `smoke` scenarios are the platform's core promises (a deleted loader pod is replaced, a silent Job is
 * healed): the ones run on every change; losing one of them costs twice as much as another scenario.
 */
export const LABEL_WEIGHTS: Readonly<Record<string, number>> = { smoke: 2 };
export const DEFAULT_WEIGHT = 1;

export function weightOf(labels: readonly string[]): number {
  return Math.max(DEFAULT_WEIGHT, ...labels.map((label) => LABEL_WEIGHTS[label] ?? DEFAULT_WEIGHT));
}

export interface ScoredScenario {
  verdict: Verdict;
  /** Checks (expectations and steady-state checks) that passed. */
  held: number;
  /** Checks with a decisive verdict (passed or failed). */
  checks: number;
  weight: number;
}

const DECISIVE: readonly Verdict[] = ["passed", "failed"];

/** p_s in [0, 1], or null when the scenario is not scored (not decisive). */
export function scenarioPoints(scenario: ScoredScenario): number | null {
  if (!DECISIVE.includes(scenario.verdict)) return null;
  if (scenario.checks === 0) return scenario.verdict === "passed" ? 1 : 0;
  const points = scenario.held / scenario.checks;
  return scenario.verdict === "failed" && points >= 1 ? 0 : points;
}

/** S in [0, 100] rounded to one decimal, or null when no scenario was decisive. */
export function runScore(scenarios: readonly ScoredScenario[]): number | null {
  let weighted = 0;
  let weights = 0;
  for (const scenario of scenarios) {
    const points = scenarioPoints(scenario);
    if (points === null) continue;
    weighted += scenario.weight * points;
    weights += scenario.weight;
  }
  return weights === 0 ? null : Math.round((1000 * weighted) / weights) / 10;
}
