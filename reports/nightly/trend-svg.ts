/**
 * Trend pictures as plain SVG (no chart library: the report must open offline, and an SVG attachment is
 * what Allure already shows inline, like the scenario timeline):
 *  - one per scenario: its verdict per run as coloured cells, its MTTR per run as bars;
 *  - one per history: the resilience score per run as a line.
 */
import type { Verdict } from "../results/verdict.ts";
import type { RunRecord } from "./run-record.ts";
import type { ScenarioTrend } from "./scenario-trends.ts";

const VERDICT_COLOUR: Record<Verdict, string> = { passed: "#2e9f4a", failed: "#d0342c", broken: "#e39a1b", inconclusive: "#8a63d2", skipped: "#9aa0a6" };
const ABSENT_COLOUR = "#e8eaed";
const FONT = 'font-family="sans-serif" font-size="12"';

/** For text in SVG and HTML alike. */
export const escapeXml = (text: string) => text.replace(/[<>&"]/g, (char) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[char]!);
const shortDate = (iso: string) => iso.slice(5, 16).replace("T", " ");

export function scenarioHistorySvg(trend: ScenarioTrend, runs: readonly RunRecord[]): string {
  const cell = 56;
  const left = 130;
  const width = Math.max(640, left + runs.length * cell + 20);
  const height = 250;
  const marks = [trend.change === "regression" ? "REGRESSION tonight" : trend.change === "fixed" ? "FIXED tonight" : "", trend.flaky ? `FLAKY (${trend.flips} flips)` : ""].filter(Boolean).join(" · ");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" ${FONT} font-size="15" font-weight="bold">${escapeXml(`${trend.name} — nightly history of ${runs.length} run(s)`)}</text>`,
    marks ? `<text x="10" y="42" ${FONT} fill="${trend.change === "regression" ? VERDICT_COLOUR.failed : "#333"}" font-weight="bold">${escapeXml(marks)}</text>` : "",
    `<text x="10" y="82" ${FONT}>verdict</text>`,
    `<text x="10" y="172" ${FONT}>MTTR</text>`,
  ];
  const mttrs = trend.mttrMs.filter((value): value is number => value !== null);
  const maxMttr = Math.max(1, ...mttrs);
  runs.forEach((run, index) => {
    const x = left + index * cell;
    const verdict = trend.verdicts[index] ?? null;
    parts.push(`<rect x="${x}" y="60" width="${cell - 8}" height="34" rx="4" fill="${verdict ? VERDICT_COLOUR[verdict] : ABSENT_COLOUR}"><title>${escapeXml(`${run.at}: ${verdict ?? "not run"}`)}</title></rect>`);
    parts.push(`<text x="${x + (cell - 8) / 2}" y="82" ${FONT} fill="#fff" text-anchor="middle">${verdict ? verdict.slice(0, 4) : "–"}</text>`);
    const mttr = trend.mttrMs[index] ?? null;
    if (mttr !== null) {
      const barHeight = Math.max(2, (mttr / maxMttr) * 70);
      parts.push(`<rect x="${x}" y="${200 - barHeight}" width="${cell - 8}" height="${barHeight}" fill="#4a78c2"/>`);
      parts.push(`<text x="${x + (cell - 8) / 2}" y="${195 - barHeight}" ${FONT} text-anchor="middle">${(mttr / 1000).toFixed(1)}s</text>`);
    }
    parts.push(`<text x="${x + (cell - 8) / 2}" y="${index % 2 === 0 ? 220 : 236}" ${FONT} font-size="10" text-anchor="middle">${escapeXml(shortDate(run.at))}</text>`);
  });
  parts.push("</svg>");
  return parts.filter(Boolean).join("\n");
}

export function scoreTrendSvg(runs: readonly RunRecord[]): string {
  const width = 760;
  const height = 260;
  const plot = { left: 50, top: 40, width: width - 80, height: 160 };
  // Points keep clear of the axis labels and the right edge, so their score labels stay readable.
  const inset = 40;
  const step = runs.length > 1 ? (plot.width - 2 * inset) / (runs.length - 1) : 0;
  const y = (score: number) => plot.top + plot.height - (score / 100) * plot.height;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" ${FONT} font-size="15" font-weight="bold">Resilience score over ${runs.length} run(s)</text>`,
    ...[0, 50, 100].map((tick) => `<line x1="${plot.left}" x2="${plot.left + plot.width}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/><text x="${plot.left - 8}" y="${y(tick) + 4}" ${FONT} text-anchor="end">${tick}</text>`),
  ];
  const points = runs.map((run, index) => ({ x: plot.left + inset + index * step, score: run.score, at: run.at }));
  const scored = points.filter((point): point is typeof point & { score: number } => point.score !== null);
  if (scored.length > 1) parts.push(`<polyline fill="none" stroke="#4a78c2" stroke-width="2" points="${scored.map((point) => `${point.x},${y(point.score)}`).join(" ")}"/>`);
  points.forEach((point, index) => {
    if (point.score !== null) {
      parts.push(`<circle cx="${point.x}" cy="${y(point.score)}" r="4" fill="#4a78c2"/>`);
      parts.push(`<text x="${point.x}" y="${y(point.score) - 8}" ${FONT} text-anchor="middle">${point.score.toFixed(1)}</text>`);
    } else {
      parts.push(`<text x="${point.x}" y="${plot.top + plot.height - 4}" ${FONT} fill="${VERDICT_COLOUR.broken}" text-anchor="middle">no score</text>`);
    }
    parts.push(`<text x="${point.x}" y="${index % 2 === 0 ? 225 : 241}" ${FONT} font-size="10" text-anchor="middle">${escapeXml(shortDate(point.at))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
