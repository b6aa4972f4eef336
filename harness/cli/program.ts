/**
 * `chaoslab`: the harness's command line (entry point: main.ts; bin/chaoslab.mjs runs it through tsx).
 *
 *   chaoslab validate <files...>             schema-check scenarios (exit 2 with file:line:column)
 *   chaoslab plan <files...> [--label l]     dry run: what each fault would hit now, and the safety check
 *   chaoslab run <files...> | --label <l>    run scenarios against the running lab; reports/out/summary.json
 *   chaoslab chaos [--label l] [--parallel n] the whole suite: provider, lab up, deploy, run, summary, HTML report
 *   chaoslab nightly --publish-dir <dir>     chaos, then the report published with its history (regressions first)
 *   chaoslab nightly-issues --publish-dir d  one GitHub issue per scenario that regressed in the last published run
 *   chaoslab cleanup [--force]               replay revert journals left by a crash, then audit for leaks
 *   chaoslab lab setup|up|status|down        the lab's lifecycle (cluster/commands/lab-commands.ts, owned by cluster/)
 *   chaoslab report                          re-render the HTML report from reports/out/allure-results/ (cli/commands/report.ts)
 *
 * Exit codes (DESIGN.md): 0 all passed, 1 some failed, 2 invalid input, 3 broken/inconclusive.
 */
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { registerLabCommands } from "../../cluster/commands/lab-commands.ts";
import { registerReportCommand } from "./commands/report.ts";
import { REPO_ROOT } from "../../cluster/images.ts";
import { attachRunningLab } from "../../cluster/providers/registry.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { KubeWatchRecorder } from "../recorders/kube-watch-recorder.ts";
import { QueueEventsRecorder } from "../recorders/queue-events-recorder.ts";
import { chaosCommand } from "./commands/chaos.ts";
import { cleanupCommand } from "./commands/cleanup.ts";
import { nightlyCommand, nightlyIssuesCommand } from "./commands/nightly.ts";
import { DEFAULT_FLAKY_WINDOW } from "../../reports/nightly/scenario-trends.ts";
import { planCommand } from "./commands/plan.ts";
import { runCommand } from "./commands/run.ts";
import { validateCommand } from "./commands/validate.ts";
import { processIo, type CommandIo } from "./commands/io.ts";

const DEFAULT_SUITE_DIR = path.join(REPO_ROOT, "scenarios");

function seedOption(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) throw new InvalidArgumentError("expected a whole number 0..2147483647");
  return seed;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The suite's target-scoped scenarios at once (`chaos`, `nightly`): the six of them took 101 s at 4
 * against ~158 s at 2 on the 2-core sim, all passing.
 */
const SUITE_PARALLEL = 4;

function parallelOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError("expected 1..8");
  return n;
}

function flakyWindowOption(value: string): number {
  const runs = Number(value);
  if (!Number.isInteger(runs) || runs < 2 || runs > 100) throw new InvalidArgumentError("expected a whole number of runs 2..100 (a flip needs two runs)");
  return runs;
}

/** SIGINT/SIGTERM: the first aborts the run (which reverts); the second exits at once. */
function interruptSignal(io: CommandIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      io.err(`\n${name}: stopping the scenario and reverting its faults (${name} again exits at once; \`chaoslab cleanup\` then reverts)`);
      controller.abort(new Error(name));
      return;
    }
    io.err(`${name}: exiting without reverting; run \`chaoslab cleanup\``);
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

export function buildProgram(io: CommandIo = processIo): Command {
  const program = new Command("chaoslab")
    .description("StreamForge Chaos Lab: declarative resilience scenarios against a kind, sim or existing cluster")
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride((error) => {
      // Usage errors are invalid input (2); help and version are not errors.
      if (error.exitCode !== 0) process.exitCode = 2;
      throw error;
    });
  registerScenarioCommands(program, io);
  registerSuiteCommands(program, io);
  registerCleanupCommand(program, io);
  // Lab lifecycle: `chaoslab lab ...` is owned by cluster/ (cluster/commands/lab-commands.ts).
  registerLabCommands(program);
  registerReportCommand(program, io);
  return program;
}

/** `plan` and `run` take the same selection: scenario files, or the suite's scenarios by label, and a seed. */
function scenarioCommand(program: Command, name: string, description: string, help: { label: string; seed: string }): Command {
  return program
    .command(name)
    .description(description)
    .argument("[files...]", "scenario files or directories")
    .option("-l, --label <label>", help.label, collect, [])
    .option("--seed <n>", help.seed, seedOption);
}

/** Scenarios one by one: `validate`, `plan` (dry run) and `run` against the running lab. */
function registerScenarioCommands(program: Command, io: CommandIo): void {
  program
    .command("validate")
    .description("check scenario files against the schema; exit 2 with file:line:column on any error")
    .argument("[files...]", "scenario files or directories (default: the suite in scenarios/)")
    .option("-q, --quiet", "print only errors")
    .action(async (files: string[], options: { quiet?: boolean }) => {
      process.exitCode = await validateCommand(files, { suiteDir: DEFAULT_SUITE_DIR, quiet: options.quiet }, io);
    });

  scenarioCommand(program, "plan", "dry run: resolve exactly which pods, brokers and proxies each fault would hit now, and check the safety policy; touches nothing", {
    label: "select scenarios of the suite by label (repeatable)",
    seed: "seed for random choices (default: the scenario's, else a new one)",
  })
    .option("--json", "machine-readable plan")
    .action(async (files: string[], options: { label: string[]; seed?: number; json?: boolean }) => {
      process.exitCode = await planCommand(files, { suiteDir: DEFAULT_SUITE_DIR, labels: options.label, seed: options.seed, json: options.json }, {
        connect: async () => {
          const lab = await attachRunningLab();
          const ports = createLabPorts(lab.description);
          return { lab, ports, close: ports.close };
        },
      }, io);
    });

  scenarioCommand(program, "run", "run scenarios against the running lab; writes reports/out/summary.json and reports/out/allure-results/", {
    label: "run the suite's scenarios with this label (repeatable)",
    seed: "override every scenario's seed (replay)",
  })
    .option("--parallel <n>", "target-scoped scenarios sharing the lab at once (lab-wide faults always run alone)", (value) => Math.max(1, Math.min(8, Number(value) || 1)), 1)
    .action(async (files: string[], options: { label: string[]; seed?: number; parallel: number }) => {
      if (files.length === 0 && options.label.length === 0) {
        io.err("error: name scenario files or select by --label (e.g. chaoslab run --label smoke)");
        process.exitCode = 2;
        return;
      }
      const interrupt = interruptSignal(io);
      try {
        process.exitCode = await runCommand(files, { suiteDir: DEFAULT_SUITE_DIR, labels: options.label, seed: options.seed, parallel: options.parallel }, {
          signal: interrupt.signal,
          connect: async () => {
            const lab = await attachRunningLab();
            const { description } = lab;
            const ports = createLabPorts(description);
            return {
              lab,
              ports,
              recorders: () => [new KubeWatchRecorder(description.kubeconfig), new QueueEventsRecorder(description.kafka.bootstrapDirect)],
              close: ports.close,
            };
          },
        }, io);
      } finally {
        interrupt.dispose();
      }
    });
}

/** The whole suite: `chaos` (one run) and `nightly`/`nightly-issues` (published with history). */
function registerSuiteCommands(program: Command, io: CommandIo): void {
  program
    .command("chaos")
    .description("the resilience suite end to end: pick the provider (CLUSTER= forces), lab up, deploy the connector and the healer, run every scenario, write reports/out/summary.json, render the HTML report")
    .option("-l, --label <label>", "only the suite's scenarios with this label (repeatable)", collect, [])
    .option("--seed <n>", "override every scenario's seed (replay)", seedOption)
    .option("--parallel <n>", "target-scoped scenarios sharing the lab at once (lab-wide faults always run alone)", parallelOption, SUITE_PARALLEL)
    .option("--no-report", "do not render the HTML report")
    .action(async (options: { label: string[]; seed?: number; parallel: number; report: boolean }) => {
      const interrupt = interruptSignal(io);
      try {
        process.exitCode = await chaosCommand(
          { suiteDir: DEFAULT_SUITE_DIR, labels: options.label, seed: options.seed, parallel: options.parallel, noReport: !options.report },
          { signal: interrupt.signal },
          io,
        );
      } finally {
        interrupt.dispose();
      }
    });

  program
    .command("nightly")
    .description("the nightly resilience suite: chaos, then the Allure report, trends and a summary (regressions first) published into --publish-dir with the history of earlier runs")
    .requiredOption("--publish-dir <dir>", "the directory to publish (GitHub Pages serves it); its history/ keeps earlier runs")
    .option("--history-dir <dir>", "earlier runs' history/ fetched from the previous deployment, merged into the publish dir's")
    .option("-l, --label <label>", "only the suite's scenarios with this label (repeatable)", collect, [])
    .option("--seed <n>", "override every scenario's seed (replay)", seedOption)
    .option("--parallel <n>", "target-scoped scenarios sharing the lab at once (lab-wide faults always run alone)", parallelOption, SUITE_PARALLEL)
    .option("--flaky-window <runs>", "a scenario is flaky when its verdict flipped twice or more within its last N runs", flakyWindowOption, DEFAULT_FLAKY_WINDOW)
    .option("--results-from <summary.json>", "publish this earlier run (summary.json with scenarios/ beside it) instead of running the suite")
    .option("--run-id <id>", "unique id of this run in the history (default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT in CI, else the run's time)")
    .option("--report-url <url>", "where the published report will be (linked from the summary and the issues)")
    .action(async (options: { publishDir: string; historyDir?: string; label: string[]; seed?: number; parallel: number; flakyWindow: number; resultsFrom?: string; runId?: string; reportUrl?: string }) => {
      const ciRunId = process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_RUN_ID}-${process.env.GITHUB_RUN_ATTEMPT ?? "1"}` : undefined;
      const interrupt = interruptSignal(io);
      try {
        process.exitCode = await nightlyCommand(
          { suiteDir: DEFAULT_SUITE_DIR, labels: options.label, seed: options.seed, parallel: options.parallel, publishDir: options.publishDir, historyDir: options.historyDir, flakyWindow: options.flakyWindow, resultsFrom: options.resultsFrom, runId: options.runId ?? ciRunId, reportUrl: options.reportUrl },
          { signal: interrupt.signal },
          io,
        );
      } finally {
        interrupt.dispose();
      }
    });

  program
    .command("nightly-issues")
    .description("open or update one GitHub issue per scenario that regressed in the last run published in --publish-dir (needs GITHUB_TOKEN with issues: write, and GITHUB_REPOSITORY)")
    .requiredOption("--publish-dir <dir>", "a directory `chaoslab nightly` published into (its history/ is read)")
    .action(async (options: { publishDir: string }) => {
      process.exitCode = await nightlyIssuesCommand(options, {}, io);
    });
}

function registerCleanupCommand(program: Command, io: CommandIo): void {
  program
    .command("cleanup")
    .description("after a crash: replay the revert journals in .chaoslab/journal, then audit the lab for leaks")
    .option("--force", "also replay journals of runs that still seem alive")
    .action(async (options: { force?: boolean }) => {
      process.exitCode = await cleanupCommand(options, {
        connect: async (stateDir) => {
          const lab = await attachRunningLab({ stateDir });
          const ports = createLabPorts(lab.description);
          return { lab, kube: ports.kube, kafka: ports.kafka, close: ports.close };
        },
      }, io);
    });
}
