/**
 * The nightly summary in Markdown (`<publish>/summary.md`; CI appends it to $GITHUB_STEP_SUMMARY).
 * Its first lines are the news: regressions, then fixes; then what kind of night it was (a resilience
 * failure is not a broken lab), then the score with its trend and one row per scenario.
 */
import type { Verdict } from "../results/verdict.ts";
import type { RunRecord } from "./run-record.ts";
import { fixes, regressions, type ScenarioTrend } from "./scenario-trends.ts";

const VERDICT_MARK: Record<Verdict, string> = { passed: "P", failed: "F", broken: "B", inconclusive: "I", skipped: "S" };

/** `P P F P` oldest first; `·` where the scenario did not run. */
export function verdictTrend(verdicts: readonly (Verdict | null)[]): string {
  return verdicts.map((verdict) => (verdict ? VERDICT_MARK[verdict] : "·")).join(" ");
}

const seconds = (ms: number | null) => (ms === null ? "–" : `${(ms / 1000).toFixed(1)}s`);
const score = (value: number | null) => (value === null ? "n/a" : value.toFixed(1));

/** What kind of night it was, in one line: it decides the exit code the same way (DESIGN.md). */
export function nightVerdict(tonight: RunRecord): { kind: "passed" | "resilience-failure" | "lab-broken"; line: string } {
  const verdicts = Object.values(tonight.scenarios).map((scenario) => scenario.verdict);
  const failed = verdicts.filter((verdict) => verdict === "failed").length;
  const infra = verdicts.filter((verdict) => verdict === "broken" || verdict === "inconclusive").length;
  if (tonight.labBroken) return { kind: "lab-broken", line: `**Lab broken** — no scenario ran: ${tonight.labBroken}. This is infrastructure, not a resilience result (exit ${tonight.exitCode}).` };
  if (failed > 0) {
    const also = infra > 0 ? `; ${infra} more broken/inconclusive (infrastructure)` : "";
    return { kind: "resilience-failure", line: `**Resilience failure** — ${failed} scenario(s) failed: StreamForge did not hold${also} (exit ${tonight.exitCode}).` };
  }
  if (infra > 0) return { kind: "lab-broken", line: `**Infrastructure** — ${infra} scenario(s) broken or inconclusive: the lab, not StreamForge, failed; no resilience verdict for them (exit ${tonight.exitCode}).` };
  return { kind: "passed", line: `**All held** — ${verdicts.length} scenario(s) passed (exit ${tonight.exitCode}).` };
}

export interface SummaryInput {
  runs: readonly RunRecord[];
  trends: readonly ScenarioTrend[];
  flakyWindow: number;
  reportUrl?: string;
}

export function renderNightlySummary({ runs, trends, flakyWindow, reportUrl }: SummaryInput): string {
  const tonight = runs.at(-1);
  if (!tonight) throw new Error("renderNightlySummary: no run to summarize (the history is empty); record tonight's run first");
  const lines: string[] = [];
  const regressed = regressions(trends);
  const fixed = fixes(trends);
  for (const trend of regressed) lines.push(`🔴 REGRESSION: ${trend.name} passed last run and FAILED tonight — ${tonight.scenarios[trend.name]?.reason ?? "see the report"}`);
  for (const trend of fixed) lines.push(`🟢 FIXED: ${trend.name} failed last run and passed tonight`);
  if (regressed.length === 0 && fixed.length === 0) lines.push("No regressions, no fixes since the last run.");
  lines.push("", `# Nightly resilience suite — ${tonight.at} on ${tonight.provider}`, "", nightVerdict(tonight).line, "");

  const scores = runs.map((run) => run.score);
  const notScored = Object.values(tonight.scenarios).filter((scenario) => scenario.verdict !== "passed" && scenario.verdict !== "failed").length;
  lines.push(`Resilience score: **${score(tonight.score)}** (trend over ${runs.length} run(s): ${scores.map(score).join(" → ")})${notScored ? `; ${notScored} scenario(s) not scored (broken, inconclusive or skipped)` : ""}`, "");

  lines.push("| scenario | tonight | trend (oldest → tonight) | MTTR tonight | MTTR trend | time to rollback | news |", "|---|---|---|---|---|---|---|");
  for (const trend of trends) {
    const news = [trend.change === "regression" ? "**regression**" : trend.change === "fixed" ? "fixed" : trend.change === "new" ? "new" : "", trend.flaky ? `flaky (${trend.flips} flips in ${flakyWindow} runs)` : ""].filter(Boolean).join(", ");
    const rollback = trend.timeToRollbackMs.some((value) => value !== null) ? trend.timeToRollbackMs.map(seconds).join(" → ") : "–";
    lines.push(`| ${trend.name} | ${trend.current ?? "not run"} | \`${verdictTrend(trend.verdicts)}\` | ${seconds(trend.mttrMs.at(-1) ?? null)} | ${trend.mttrMs.map(seconds).join(" → ")} | ${rollback} | ${news} |`);
  }
  lines.push("", "P passed · F failed · B broken (lab) · I inconclusive · S skipped · `·` not run. Flaky: the verdict flipped twice or more within the window; the verdict shown is still the one recorded.");
  if (reportUrl) lines.push("", `Report with history: ${reportUrl}`);
  return `${lines.join("\n")}\n`;
}
