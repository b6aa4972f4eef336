/**
 * `chaoslab run <files...> | --label <l>`: validates everything first (exit 2 before touching the lab),
 * attaches to the running lab, runs each scenario, and writes reports/out/summary.json (plus the full
 * result per scenario). SIGINT/SIGTERM stop the current scenario and revert it; a second signal exits
 * at once and leaves the journal for `chaoslab cleanup`.
 */
import type { StartedLab } from "../../../cluster/provider.ts";
import { DEFAULT_CATALOG, type Catalog } from "../../catalog.ts";
import { systemClock } from "../../engine/clock.ts";
import type { Log, RunPorts } from "../../engine/context.ts";
import { defaultJournalDir } from "../../engine/journal.ts";
import type { Recorder } from "../../engine/recorder.ts";
import { runScenario, type ScenarioResult } from "../../engine/runner.ts";
import { EXIT_CODES, exitCodeFor } from "../../engine/verdict.ts";
import { formatDiagnostic } from "../../scenario/loader.ts";
import { writeRunOutputs } from "../../../reports/summary.ts";
import { writeAllureResults } from "../../../reports/allure-results.ts";
import type { CommandIo } from "../io.ts";
import { progressLine, renderResult } from "../progress.ts";
import { selectScenarios } from "../scenario-files.ts";

export interface RunDeps {
  catalog?: Catalog;
  connect(): Promise<{ lab: StartedLab; ports: RunPorts; recorders: Recorder[]; close(): Promise<void> }>;
  /** SIGINT/SIGTERM, wired by the CLI. */
  signal?: AbortSignal;
  journalDir?: string;
  outDir?: string;
  allureResultsDir?: string;
}

export async function runCommand(
  paths: string[],
  options: { suiteDir: string; labels?: string[]; seed?: number },
  deps: RunDeps,
  io: CommandIo,
): Promise<number> {
  const catalog = deps.catalog ?? DEFAULT_CATALOG;
  const { loaded, empty } = await selectScenarios({ paths, labels: options.labels, suiteDir: options.suiteDir, catalog });
  if (empty) {
    io.err(`error: ${empty}`);
    return EXIT_CODES.invalidInput;
  }
  const invalid = loaded.flatMap((result) => (result.ok ? [] : result.diagnostics));
  if (invalid.length > 0) {
    for (const diagnostic of invalid) io.err(formatDiagnostic(diagnostic));
    io.err("nothing was run: fix the files above first");
    return EXIT_CODES.invalidInput;
  }

  let connection;
  try {
    connection = await deps.connect();
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return EXIT_CODES.brokenOrInconclusive;
  }
  const log: Log = { info: (message) => io.err(message), warn: (message) => io.err(`warning: ${message}`) };
  const results: ScenarioResult[] = [];
  try {
    for (const result of loaded) {
      if (!result.ok) continue;
      if (deps.signal?.aborted) {
        io.err(`skipping ${result.scenario.metadata.name}: interrupted`);
        continue;
      }
      io.err(`\n=== ${result.scenario.metadata.name}${result.scenario.metadata.title ? `: ${result.scenario.metadata.title}` : ""} (${result.file})`);
      let startedAt: number | undefined;
      const scenarioResult = await runScenario(
        result,
        {
          catalog,
          lab: connection.lab,
          ports: connection.ports,
          recorders: connection.recorders,
          clock: systemClock,
          journalDir: deps.journalDir ?? defaultJournalDir(),
          log,
          signal: deps.signal,
          onTimeline: (entry) => {
            startedAt ??= entry.at;
            const line = progressLine(entry, startedAt);
            if (line) io.err(line);
          },
        },
        { seed: options.seed },
      );
      results.push(scenarioResult);
      io.out(renderResult(scenarioResult));
    }
  } finally {
    await connection.close().catch((error: unknown) => io.err(`warning: closing lab connections: ${(error as Error).message}`));
  }

  const { summaryFile } = await writeRunOutputs(results, deps.outDir);
  const allureDir = await writeAllureResults(results, deps.allureResultsDir);
  const code = exitCodeFor(results.map((result) => result.verdict));
  const count = (verdict: string) => results.filter((result) => result.verdict === verdict).length;
  io.out(`\n${count("passed")} passed, ${count("failed")} failed, ${count("broken")} broken, ${count("inconclusive")} inconclusive, ${count("skipped")} skipped`);
  io.err(`summary: ${summaryFile}\nallure results: ${allureDir}`);
  return code;
}
