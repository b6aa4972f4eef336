/**
 * A finished run read back from disk: summary.json and, beside it, the full result of each of its
 * scenarios (`scenarios/<name>.json`, written by reports/summary.ts writeRunOutputs). The nightly
 * pipeline renders from these files, whether the suite just wrote them or they came from an artifact.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ScenarioResult } from "../results/scenario-result.ts";
import { SUMMARY_VERSION, type RunSummary } from "../summary.ts";

export interface LoadedRun {
  summaryFile: string;
  summary: RunSummary;
  results: ScenarioResult[];
}

export async function loadRun(summaryFile: string): Promise<LoadedRun> {
  const text = await fs.readFile(summaryFile, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the run summary ${summaryFile}: ${error.code ?? error.message}; point --results-from at a summary.json written by \`chaoslab run\` or \`chaoslab chaos\``);
  });
  const summary = JSON.parse(text) as RunSummary;
  if (summary.version !== SUMMARY_VERSION || !Array.isArray(summary.scenarios)) {
    throw new Error(`${summaryFile}: expected a run summary of version ${SUMMARY_VERSION} with a scenarios list, found version ${String(summary.version)}; re-run the suite with this checkout`);
  }
  const detailsDir = path.join(path.dirname(summaryFile), "scenarios");
  const results: ScenarioResult[] = [];
  for (const scenario of summary.scenarios) {
    const file = path.join(detailsDir, `${scenario.name}.json`);
    const detail = await fs.readFile(file, "utf8").catch(() => {
      throw new Error(`${summaryFile} names scenario ${scenario.name}, but its full result ${file} is missing; copy the whole output directory (summary.json and scenarios/) together`);
    });
    results.push(JSON.parse(detail) as ScenarioResult);
  }
  return { summaryFile, summary, results };
}
