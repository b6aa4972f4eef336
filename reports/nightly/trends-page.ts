/**
 * `<publish>/trends.html`: the nightly trends on one static page beside the Allure report — the
 * resilience score per run, and per scenario its verdicts and MTTR over the runs. Allure's own trend
 * charts count statuses; this page shows what only the lab knows (score, recovery times, flaky by our
 * rule). Self-contained (inline SVG), so it opens offline like the report.
 */
import type { RunRecord } from "./run-record.ts";
import type { ScenarioTrend } from "./scenario-trends.ts";
import { nightVerdict, verdictTrend } from "./nightly-summary.ts";
import { escapeXml as escapeHtml, scenarioHistorySvg, scoreTrendSvg } from "./trend-svg.ts";

export function renderTrendsPage(runs: readonly RunRecord[], trends: readonly ScenarioTrend[], flakyWindow: number): string {
  const tonight = runs.at(-1)!;
  const news = trends
    .filter((trend) => trend.change === "regression" || trend.change === "fixed")
    .map((trend) => `<li class="${trend.change}">${trend.change === "regression" ? "REGRESSION" : "FIXED"}: ${escapeHtml(trend.name)}</li>`);
  const rows = trends.map(
    (trend) =>
      `<tr><td>${escapeHtml(trend.name)}</td><td>${trend.current ?? "not run"}</td><td><code>${verdictTrend(trend.verdicts)}</code></td><td>${[trend.change === "regression" || trend.change === "fixed" ? trend.change : "", trend.flaky ? "flaky" : ""].filter(Boolean).join(", ")}</td></tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>StreamForge Chaos Lab — nightly trends</title>
<style>body{font-family:sans-serif;margin:24px;color:#202124}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
.regression{color:#d0342c;font-weight:bold}.fixed{color:#2e9f4a;font-weight:bold}section{margin:16px 0}</style></head>
<body>
<h1>Nightly trends: ${runs.length} run(s)</h1>
<p><a href="index.html">Allure report of the last run</a> · <a href="summary.md">summary.md</a> · flaky window: ${flakyWindow} runs</p>
<ul>${news.join("") || "<li>No regressions, no fixes since the last run.</li>"}</ul>
<p>${escapeHtml(nightVerdict(tonight).line.replace(/\*\*/g, ""))}</p>
<section>${scoreTrendSvg(runs)}</section>
<table><thead><tr><th>scenario</th><th>last run</th><th>verdicts (oldest → last)</th><th>news</th></tr></thead><tbody>${rows.join("")}</tbody></table>
${trends.map((trend) => `<section id="${escapeHtml(trend.name)}">${scenarioHistorySvg(trend, runs)}</section>`).join("\n")}
</body></html>
`;
}
