/**
 * Verdicts and exit codes (DESIGN.md "Verdicts"). `failed` = the system under test did not hold;
 * `broken` = the lab itself failed; `inconclusive` = a fault could not be shown to have taken effect, or
 * a probe had no data. No data is never a pass.
 */
export const VERDICTS = ["passed", "failed", "broken", "inconclusive", "skipped"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What decided a verdict: the category shown in the report (Allure categories key on it). Never changed once decided. */
export interface VerdictReason {
  readonly verdict: Verdict;
  /** Phase or element that decided it: `setup`, `steadyState[0]`, `fault kill-loader`, `expect[2]`, `leak-audit`. */
  readonly source: string;
  readonly message: string;
}

export const EXIT_CODES = { passed: 0, failed: 1, invalidInput: 2, brokenOrInconclusive: 3 } as const;

/**
 * One scenario's verdict from its parts. Broken wins: a lab that failed (setup, revert, leak) makes every
 * other observation suspect. Then a fault without evidence (inconclusive) — expectations mean nothing if
 * the fault never landed. Then a definite failure of the system under test beats "no data" elsewhere.
 */
export function combineScenarioVerdict(parts: { faultsInconclusive: boolean; reasons: readonly VerdictReason[] }): Verdict {
  const has = (verdict: Verdict) => parts.reasons.some((reason) => reason.verdict === verdict);
  if (has("broken")) return "broken";
  if (parts.faultsInconclusive) return "inconclusive";
  if (has("failed")) return "failed";
  if (has("inconclusive")) return "inconclusive";
  if (parts.reasons.length > 0 && parts.reasons.every((reason) => reason.verdict === "skipped")) return "skipped";
  return "passed";
}

/**
 * The CLI's exit code over many scenarios: 0 when nothing failed, broke or was inconclusive (skipped
 * scenarios do not fail a run); 1 when some scenario failed — a resilience regression is the headline
 * even when another scenario also broke; 3 for broken/inconclusive only. 2 (invalid input) is decided
 * before anything runs.
 */
export function exitCodeFor(verdicts: readonly Verdict[]): number {
  if (verdicts.includes("failed")) return EXIT_CODES.failed;
  if (verdicts.includes("broken") || verdicts.includes("inconclusive")) return EXIT_CODES.brokenOrInconclusive;
  return EXIT_CODES.passed;
}

/**
 * The exit code of a run: a safety violation is invalid input (2) as it is from `plan` — the scenario
 * asked for what this lab's policy forbids, which no rerun fixes — otherwise as `exitCodeFor`.
 */
export function exitCodeForResults(results: readonly { verdict: Verdict; safetyViolations?: string[] }[]): number {
  if (results.some((result) => (result.safetyViolations?.length ?? 0) > 0)) return EXIT_CODES.invalidInput;
  return exitCodeFor(results.map((result) => result.verdict));
}
