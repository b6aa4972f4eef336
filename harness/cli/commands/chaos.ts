/**
 * `chaoslab chaos` (what `make chaos` runs): the whole resilience suite, end to end.
 *
 *   pick the provider (CLUSTER=kind|sim|existing forces; else kind when Docker answers, else sim)
 *   → its set-up (only what that provider needs) → lab up (attaches when it is up) → deploy what the suite needs (connector, healer)
 *   → run every scenario of scenarios/ → reports/out/summary.json + reports/out/allure-results/
 *   → render the HTML report → a verdict table and the report's path; exit code per verdicts.
 *
 * Invalid scenario files stop everything before the lab is touched (exit 2).
 */
import path from "node:path";
import type { StartedLab } from "../../../cluster/provider.ts";
import { describePick, dockerEngineProbe, pickProvider } from "../../../cluster/providers/detect.ts";
import { loadProvider } from "../../../cluster/providers/registry.ts";
import { DEFAULT_CATALOG, type Catalog } from "../../catalog.ts";
import { EXIT_CODES, exitCodeForResults } from "../../../reports/results/verdict.ts";
import type { ScenarioResult } from "../../../reports/results/scenario-result.ts";
import { createLabPorts } from "../../lab/lab-ports.ts";
import { deploySuiteWorkloads } from "../../lab/suite-workloads.ts";
import { KubeWatchRecorder } from "../../recorders/kube-watch-recorder.ts";
import { QueueEventsRecorder } from "../../recorders/queue-events-recorder.ts";
import { summarizeScenario, writeRunOutputs } from "../../../reports/summary.ts";
import { writeAllureResults } from "../../../reports/allure-results.ts";
import type { CommandIo } from "./io.ts";
import { selectValidScenarios } from "./scenario-files.ts";
import { runScenarios } from "./run.ts";

export interface ChaosOptions {
  suiteDir: string;
  labels?: string[];
  seed?: number;
  /** How many target-scoped scenarios may share the lab at once (lab-wide faults always run alone). */
  parallel: number;
  /** Skip the HTML report (CI renders it in a later step). */
  noReport?: boolean;
}

export interface ChaosDeps {
  catalog?: Catalog;
  signal?: AbortSignal;
  env?: Readonly<Record<string, string | undefined>>;
  /** Brings the lab up; default: the provider picked from CLUSTER / Docker. */
  labUp?(log: (line: string) => void): Promise<StartedLab>;
  /** The HTML report; default: reports/render.ts. */
  render?(): Promise<{ htmlDir: string; indexFile?: string }>;
}

async function defaultLabUp(env: Readonly<Record<string, string | undefined>>, log: (line: string) => void): Promise<StartedLab> {
  const pick = await pickProvider(env, dockerEngineProbe());
  log(describePick(pick));
  for (const warning of pick.warnings) log(`warning: ${warning}`);
  const provider = await loadProvider(pick.name);
  // Only what the picked provider needs: kind on a machine without Go, Java or Maven gets past here.
  log(`[setup] ${pick.name}: checking and building what it needs`);
  await provider.setup({ log });
  // A provider reads what set-up makes when it is created (kind: the air-gapped build record, whose image
  // tags change when set-up rebuilds one), so the lab comes up through a provider created after it.
  const afterSetup = await loadProvider(pick.name);
  return afterSetup.up({ log });
}

/** The one call site of the HTML rendering (reports/render.ts, owned by the report's author). */
async function defaultRender(): Promise<{ htmlDir: string; indexFile?: string }> {
  const { renderReport } = await import("../../../reports/render.ts");
  const rendered = await renderReport();
  return { htmlDir: rendered.htmlDir, indexFile: rendered.indexFile };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function verdictTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((result) => {
    const summary = summarizeScenario(result);
    const mttr = summary.recoveries
      .filter((recovery) => recovery.mttrMs !== null)
      .map((recovery) => `${recovery.expectation.replace(/^expect\[\d+\] /, "")} ${seconds(recovery.mttrMs!)}${recovery.restoredBy ? ` (${recovery.restoredBy})` : ""}`)
      .join(", ");
    const reordered = summary.ledger?.reordered === undefined ? "" : `, reord ${summary.ledger.reordered}`;
    const ledger = summary.ledger ? `acked ${summary.ledger.acked}, lost ${summary.ledger.lost}, dup ${summary.ledger.duplicated}${reordered}` : "-";
    return [summary.verdict.toUpperCase(), summary.name, seconds(summary.durationMs), mttr || "-", ledger];
  });
  const header = ["VERDICT", "SCENARIO", "TIME", "RECOVERY (per expectation)", "LEDGER"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < cells.length - 1 ? cell.padEnd(widths[column]!) : cell)).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

export async function chaosCommand(options: ChaosOptions, deps: ChaosDeps, io: CommandIo): Promise<number> {
  const catalog = deps.catalog ?? DEFAULT_CATALOG;
  const started = Date.now();
  const selection = await selectValidScenarios({ paths: [], labels: options.labels, suiteDir: options.suiteDir, catalog }, io, "run");
  if ("exitCode" in selection) return selection.exitCode;
  const { scenarios } = selection;
  const log = (line: string) => io.err(line);

  let lab: StartedLab;
  try {
    lab = await (deps.labUp ?? ((logLine) => defaultLabUp(deps.env ?? process.env, logLine)))(log);
  } catch (error) {
    io.err(`error: the lab did not come up: ${(error as Error).message}`);
    return EXIT_CODES.brokenOrInconclusive;
  }
  const ports = createLabPorts(lab.description);
  let results: ScenarioResult[];
  try {
    try {
      await deploySuiteWorkloads(lab.description, ports.kube, { log, signal: deps.signal });
    } catch (error) {
      io.err(`error: deploying the suite's workloads failed: ${(error as Error).message}`);
      return EXIT_CODES.brokenOrInconclusive;
    }
    io.err(`[suite] ${scenarios.length} scenario(s) on the ${lab.description.provider} lab, up to ${options.parallel} target-scoped scenario(s) at once`);
    results = await runScenarios(
      scenarios,
      {
        catalog,
        lab,
        ports,
        recorders: () => [new KubeWatchRecorder(lab.description.kubeconfig), new QueueEventsRecorder(lab.description.kafka.bootstrapDirect)],
        signal: deps.signal,
      },
      { seed: options.seed, parallel: options.parallel },
      io,
    );
  } finally {
    await ports.close().catch((error: unknown) => io.err(`warning: closing lab connections: ${(error as Error).message}`));
  }

  const { summaryFile } = await writeRunOutputs(results);
  const allureDir = await writeAllureResults(results);
  let report = "(not rendered: --no-report)";
  if (!options.noReport) {
    try {
      const rendered = await (deps.render ?? defaultRender)();
      report = rendered.indexFile ?? rendered.htmlDir;
    } catch (error) {
      report = `(rendering failed: ${(error as Error).message}; \`make report\` retries)`;
    }
  }
  const code = exitCodeForResults(results);
  io.out(`\n${verdictTable(results)}\n`);
  io.out(`suite wall time ${seconds(Date.now() - started)} on ${lab.description.provider}; exit code ${code}`);
  io.out(`summary: ${path.relative(process.cwd(), summaryFile) || summaryFile}\nallure results: ${allureDir}\nreport: ${report}`);
  return code;
}
