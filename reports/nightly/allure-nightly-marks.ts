/**
 * Puts what the nightly history knows onto each scenario's Allure result, before rendering:
 *  - a `tag` label `regression` / `fixed` / `flaky`, so the report's tree can be filtered by them;
 *  - `statusDetails.flaky` for a flaky scenario (Allure shows its flaky mark; the status is untouched —
 *    a flaky failure is still a failure);
 *  - a first description line naming the news, and a "nightly history" SVG attachment (verdict per run,
 *    MTTR per run) beside the timeline.
 * Allure's own history (`historyPath`) adds its trend charts and "new failed / fixed" on top.
 *
 * It also adds the resilience score and its trend to environment.properties: the overview page shows it.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { RunRecord } from "./run-record.ts";
import type { ScenarioTrend } from "./scenario-trends.ts";
import { scenarioHistorySvg } from "./trend-svg.ts";

interface AllureResultFile {
  labels?: { name: string; value: string }[];
  description?: string;
  statusDetails?: { message?: string; trace?: string; flaky?: boolean };
  attachments?: { name: string; source: string; type: string }[];
}

const NEWS: Record<NonNullable<ScenarioTrend["change"]>, string> = {
  regression: "**Nightly: REGRESSION** — passed in the previous run, failed tonight.",
  fixed: "**Nightly: FIXED** — failed in the previous run, passed tonight.",
  new: "**Nightly:** first run of this scenario in the history.",
};

export async function markAllureResults(resultsDir: string, trends: readonly ScenarioTrend[], runs: readonly RunRecord[]): Promise<number> {
  const byName = new Map(trends.map((trend) => [trend.name, trend]));
  let marked = 0;
  for (const name of (await fs.readdir(resultsDir)).filter((file) => file.endsWith("-result.json"))) {
    const file = path.join(resultsDir, name);
    const result = JSON.parse(await fs.readFile(file, "utf8")) as AllureResultFile;
    const scenario = result.labels?.find((label) => label.name === "subSuite")?.value;
    const trend = scenario ? byName.get(scenario) : undefined;
    if (!trend) continue;
    const tags = [trend.change === "regression" || trend.change === "fixed" ? trend.change : undefined, trend.flaky ? "flaky" : undefined].filter((tag): tag is string => tag !== undefined);
    result.labels = [...(result.labels ?? []), ...tags.map((value) => ({ name: "tag", value }))];
    if (trend.flaky) result.statusDetails = { ...result.statusDetails, flaky: true };
    const news = [trend.change ? NEWS[trend.change] : "", trend.flaky ? `**Nightly: FLAKY** — the verdict flipped ${trend.flips} times in the last runs; the verdict above is still this run's.` : ""].filter(Boolean);
    if (news.length > 0) result.description = [...news, result.description ?? ""].join("\n\n");
    const source = `${randomUUID()}-attachment.svg`;
    await fs.writeFile(path.join(resultsDir, source), scenarioHistorySvg(trend, runs));
    result.attachments = [{ name: "nightly history", source, type: "image/svg+xml" }, ...(result.attachments ?? [])];
    await fs.writeFile(file, JSON.stringify(result));
    marked++;
  }
  return marked;
}

export async function addScoreToEnvironment(resultsDir: string, runs: readonly RunRecord[]): Promise<void> {
  const file = path.join(resultsDir, "environment.properties");
  const existing = await fs.readFile(file, "utf8").catch(() => "");
  const score = (value: number | null) => (value === null ? "n/a" : value.toFixed(1));
  const lines = [`resilience score=${score(runs.at(-1)?.score ?? null)}`, `resilience score trend=${runs.map((run) => score(run.score)).join(" -> ")}`, `nightly runs in history=${runs.length}`];
  await fs.writeFile(file, `${existing.trimEnd()}${existing.trim() ? "\n" : ""}${lines.join("\n")}\n`);
}
