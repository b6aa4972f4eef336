/**
 * `chaoslab run <files...> | --label <l>`: validates everything first (exit 2 before touching the lab),
 * attaches to the running lab, runs each scenario, and writes reports/out/summary.json (plus the full
 * result per scenario). SIGINT/SIGTERM stop the current scenario and revert it; a second signal exits
 * at once and leaves the journal for `chaoslab cleanup`.
 */
import path from "node:path";
import { labOnLane, type StartedLab } from "../../../cluster/provider.ts";
import { DEFAULT_CATALOG, type Catalog } from "../../catalog.ts";
import { systemClock } from "../../core/clock.ts";
import type { Log, RunPorts } from "../../core/context.ts";
import { defaultJournalDir } from "../../core/journal.ts";
import type { Recorder } from "../../core/recorder.ts";
import { runScenario } from "../../engine/runner.ts";
import type { LoadedScenario } from "../../scenario/loader.ts";
import type { ScenarioResult } from "../../../reports/results/scenario-result.ts";
import { findFault, findSetupAction } from "../../catalog.ts";
import { EXIT_CODES, exitCodeForResults } from "../../../reports/results/verdict.ts";
import { REPORTS_OUT, writeRunOutputs } from "../../../reports/summary.ts";
import { writeAllureResults } from "../../../reports/allure-results.ts";
import type { CommandIo } from "./io.ts";
import { progressLine, renderResult } from "./progress.ts";
import { type ScenarioCommand, selectAndConnect } from "./scenario-files.ts";
import { scopeOf } from "../../faults/fault.ts";
import { lastDurations, longestFirst } from "./run-order.ts";
import { setupScopeOf } from "../../setup/setup-action.ts";

export interface RunDeps {
  catalog?: Catalog;
  /** `recorders` as a factory when scenarios may run side by side (each run needs its own). */
  connect(): Promise<{ lab: StartedLab; ports: RunPorts; recorders: Recorder[] | (() => Recorder[]); close(): Promise<void> }>;
  /** SIGINT/SIGTERM, wired by the CLI. */
  signal?: AbortSignal;
  journalDir?: string;
  outDir?: string;
  allureResultsDir?: string;
}

export const runCommand: ScenarioCommand<{ seed?: number; parallel?: number }, RunDeps> = async (paths, options, deps, io) => {
  const catalog = deps.catalog ?? DEFAULT_CATALOG;
  const prepared = await selectAndConnect({ paths, labels: options.labels, suiteDir: options.suiteDir, catalog }, deps.connect, io, "run");
  if ("exitCode" in prepared) return prepared.exitCode;
  const { scenarios, connection } = prepared;
  let results: ScenarioResult[];
  try {
    results = await runScenarios(scenarios, { ...deps, catalog, ...connection }, { seed: options.seed, parallel: options.parallel ?? 1 }, io);
  } finally {
    await connection.close().catch((error: unknown) => io.err(`warning: closing lab connections: ${(error as Error).message}`));
  }

  const { summaryFile } = await writeRunOutputs(results, deps.outDir);
  const allureDir = await writeAllureResults(results, deps.allureResultsDir);
  const code = exitCodeForResults(results);
  const count = (verdict: string) => results.filter((result) => result.verdict === verdict).length;
  io.out(`\n${count("passed")} passed, ${count("failed")} failed, ${count("broken")} broken, ${count("inconclusive")} inconclusive, ${count("skipped")} skipped`);
  io.err(`summary: ${summaryFile}\nallure results: ${allureDir}`);
  return code;
};

/**
 * A scenario may share the lab only when every fault it injects touches just its own targets (or its
 * run's Kafka lane, where runs get one: `lanes`) and every setup action creates only its own run's objects.
 */
export function sharesTheLab(loaded: LoadedScenario, catalog: Catalog, lab: { lanes: boolean }): boolean {
  return (
    loaded.scenario.spec.faults.every((fault) => scopeOf(findFault(catalog, fault.type), fault.target, lab) === "targets") &&
    loaded.scenario.spec.setup.every((entry) => setupScopeOf(findSetupAction(catalog, entry.kind), entry.params) === "run")
  );
}

/**
 * Runs scenarios: those with lab-wide faults (a broker down; latency on the one shared path where the
 * lab has no Kafka lanes) one at a time, first; then the rest, up to `parallel` at once, each on its
 * slot's Kafka lane where the lab has one per slot (their faults touch only their own targets or lane,
 * and their probes only their own run's objects), longest first by their last run (run-order.ts). Results come back in the order of `loaded`.
 */
export async function runScenarios(
  loaded: readonly LoadedScenario[],
  deps: Omit<RunDeps, "connect"> & { catalog: Catalog; lab: StartedLab; ports: RunPorts; recorders: Recorder[] | (() => Recorder[]) },
  options: { seed?: number; parallel: number },
  io: CommandIo,
): Promise<ScenarioResult[]> {
  const results = new Map<LoadedScenario, ScenarioResult>();
  const prefixed = options.parallel > 1;
  // Each side-by-side slot gets its own Kafka lane where the lab has enough (the sim): network faults then
  // touch only their run's loaders, and each run audits only its own lane's proxies.
  const lanes = deps.lab.network.lanes ?? [];
  const onLanes = options.parallel > 1 && lanes.length >= options.parallel;
  const runOne = async (scenario: LoadedScenario, lane?: number) => {
    const name = scenario.scenario.metadata.name;
    if (deps.signal?.aborted) {
      io.err(`skipping ${name}: interrupted`);
      return;
    }
    io.err(`\n=== ${name}${scenario.scenario.metadata.title ? `: ${scenario.scenario.metadata.title}` : ""} (${scenario.file})`);
    const prefix = prefixed ? `[${name}] ` : "";
    const log: Log = { info: (message) => io.err(`${prefix}${message}`), warn: (message) => io.err(`${prefix}warning: ${message}`) };
    let startedAt: number | undefined;
    const result = await runScenario(
      scenario,
      {
        catalog: deps.catalog,
        lab: lane === undefined ? deps.lab : labOnLane(deps.lab, lane),
        ports: deps.ports,
        // Recorders hold per-run state: concurrent scenarios each need their own.
        recorders: typeof deps.recorders === "function" ? deps.recorders() : deps.recorders,
        clock: systemClock,
        journalDir: deps.journalDir ?? defaultJournalDir(),
        artifactsDir: path.join(deps.outDir ?? REPORTS_OUT, "k6"),
        log,
        signal: deps.signal,
        onTimeline: (entry) => {
          startedAt ??= entry.at;
          const line = progressLine(entry, startedAt);
          if (line) io.err(`${prefix}${line}`);
        },
      },
      { seed: options.seed },
    );
    results.set(scenario, result);
    io.out(renderResult(result));
  };
  const alone = loaded.filter((scenario) => options.parallel <= 1 || !sharesTheLab(scenario, deps.catalog, { lanes: onLanes }));
  const shared = loaded.filter((scenario) => !alone.includes(scenario));
  for (const scenario of alone) await runOne(scenario);
  const history = await lastDurations(deps.outDir ?? REPORTS_OUT, shared.map((scenario) => scenario.scenario.metadata.name));
  const queue = longestFirst(shared, (scenario) => history.get(scenario.scenario.metadata.name));
  await Promise.all(
    Array.from({ length: Math.min(options.parallel, queue.length) }, async (_, slot) => {
      for (let next = queue.shift(); next; next = queue.shift()) await runOne(next, onLanes ? lanes[slot] : undefined);
    }),
  );
  return loaded.flatMap((scenario) => results.get(scenario) ?? []);
}
