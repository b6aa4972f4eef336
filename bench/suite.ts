/**
 * `make bench-suite`: the resilience suite's wall time on the sim, whole and per scenario, written to
 * reports/out/bench/suite.json. Runs `chaoslab chaos --no-report` as a user does (lab up if needed,
 * workloads deployed, every scenario, lab-wide faults alone and the rest `--parallel` at once) and reads
 * each scenario's time from the run's summary.json.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../cluster/images.ts";
import { SUMMARY_FILE } from "../reports/summary.ts";
import { BENCH_DIR } from "./measured.ts";
import { round1, suitePhases } from "./suite-phases.ts";

const OUT = path.join(BENCH_DIR, "suite.json");

interface SummaryScenario {
  name: string;
  verdict: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

async function runChaos(): Promise<{ exitCode: number; seconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "chaoslab.mjs"), "chaos", "--no-report"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CLUSTER: "sim" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exitCode = await new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  return { exitCode, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const run = await runChaos();
  const summary = JSON.parse(await fs.readFile(SUMMARY_FILE, "utf8")) as { generatedAt: string; scenarios: SummaryScenario[] };
  const starts = summary.scenarios.map((scenario) => Date.parse(scenario.startedAt));
  const ends = summary.scenarios.map((scenario) => Date.parse(scenario.finishedAt));
  const figures = {
    measuredAt: new Date().toISOString(),
    machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    provider: "sim",
    exitCode: run.exitCode,
    /** First scenario's start to the last one's end: what the 3-minute target is about. */
    suiteSeconds: round1((Math.max(...ends) - Math.min(...starts)) / 1000),
    /** The whole command, lab already up or not, workloads deployed, summary written. */
    commandSeconds: round1(run.seconds),
    targetSuiteSeconds: 180,
    /** Lab-wide faults one at a time (their durations add up) vs the rest side by side (their span). */
    phases: suitePhases(summary.scenarios.map((scenario) => ({ name: scenario.name, startedAtMs: Date.parse(scenario.startedAt), finishedAtMs: Date.parse(scenario.finishedAt) }))),
    scenarios: Object.fromEntries(summary.scenarios.map((scenario) => [scenario.name, { seconds: round1(scenario.durationMs / 1000), verdict: scenario.verdict }])),
  };
  await fs.mkdir(path.dirname(OUT), { recursive: true });
  await fs.writeFile(OUT, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  process.exitCode = run.exitCode;
}

await main();
