/**
 * Progress and failure of the offline build: each step prints a line when it starts and when it ends,
 * with its duration or "cached", and a failing command names the step, the command's output tail and
 * what to do.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { type ProcessPromise, $ } from "zx";

export type Log = (line: string) => void;

export interface StepReport {
  name: string;
  cached: boolean;
  seconds: number;
}

export class OfflineBuildError extends Error {
  constructor(what: string, detail: string, whatToDo: string) {
    super(`${what} failed${detail ? `:\n${detail}` : ""}\nWhat to do: ${whatToDo}`);
    this.name = "OfflineBuildError";
  }
}

/** The steps of one build, timed and reported in order. */
export class StepLog {
  readonly reports: StepReport[] = [];
  constructor(readonly log: Log) {}

  /** Runs `build` unless `isCached()` says the artifact exists; prints start/end lines either way. */
  async step<T>(name: string, isCached: () => Promise<boolean>, build: () => Promise<T>): Promise<void> {
    if (await isCached()) {
      this.reports.push({ name, cached: true, seconds: 0 });
      this.log(`[kind-offline] ✓ ${name}: cached`);
      return;
    }
    this.log(`[kind-offline] ▶ ${name} …`);
    const startedAt = Date.now();
    try {
      await build();
    } catch (error) {
      this.log(`[kind-offline] ✗ ${name} after ${seconds(startedAt)}s`);
      throw error;
    }
    const took = seconds(startedAt);
    this.reports.push({ name, cached: false, seconds: took });
    this.log(`[kind-offline] ✓ ${name}: built in ${took}s`);
  }
}

function seconds(startedAt: number): number {
  return Math.round((Date.now() - startedAt) / 100) / 10;
}

/** Awaits a zx command started with nothrow; throws OfflineBuildError with its output tail when it fails. */
export async function must(what: string, whatToDo: string, command: ProcessPromise): Promise<string> {
  const output = await command;
  if (output.exitCode !== 0) {
    const tail = `${output.stdout}\n${output.stderr}`.trim().split("\n").slice(-25).join("\n");
    throw new OfflineBuildError(`${what} (exit ${output.exitCode ?? output.signal})`, tail, whatToDo);
  }
  return output.stdout;
}

/** zx's `$` as every step uses it: quiet, no throw (must() reports), a timeout. */
export function sh(timeoutMs: number, options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return $({ quiet: true, nothrow: true, timeout: timeoutMs, ...options });
}

/** Builds into `<dir>.partial-<pid>` and renames on success, so a half-built directory is never a cache hit. */
export async function buildDirectory(dir: string, build: (partialDir: string) => Promise<void>): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  await build(partial);
  await fs.writeFile(path.join(partial, ".built.json"), `${JSON.stringify({ builtAt: new Date().toISOString() })}\n`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(partial, dir);
}

export async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

export async function dockerImageExists(image: string): Promise<boolean> {
  const result = await sh(30_000)`docker image inspect --format {{.Id}} ${image}`;
  return result.exitCode === 0;
}
