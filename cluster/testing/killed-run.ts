/**
 * Crash safety through the CLI, for lab tests: `chaoslab run <file>` is SIGKILLed once its faults are in
 * effect — nothing of the run's own cleanup can run — and then `chaoslab cleanup`, a fresh process, must
 * revert what the journal holds. Each test asserts between the two steps that the kill really left its
 * fault behind (otherwise the cleanup would prove nothing), and after them what must be gone.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { REPO_ROOT } from "../images.ts";
import type { LabDescription } from "../provider.ts";
import { eventually } from "./eventually.ts";

const CLI = path.join(REPO_ROOT, "bin", "chaoslab.mjs");

export interface KilledRun {
  /** Runs `chaoslab cleanup` with the killed run's journal, expects it to succeed with a clean audit, and the journal emptied. */
  cleanup(expected?: { reverting?: number }): Promise<string>;
}

/**
 * Starts `chaoslab run <scenarioFile>` on `lab` with its journal in `journalDir`, waits until its stderr
 * shows `fault <name>: effect-confirmed` for every name in `confirmed`, then SIGKILLs it. A run that
 * never gets there is killed too, and the error carries its stderr. The lab is named (CHAOSLAB_LAB):
 * left to itself the CLI attaches to the newest lab, which on a machine with Docker may be a kind lab.
 */
export async function killRunOnceConfirmed(
  scenarioFile: string,
  { lab, journalDir }: { lab: Pick<LabDescription, "stateDir">; journalDir: string },
  confirmed: readonly string[],
  timeoutMs = 90_000,
): Promise<KilledRun> {
  const env = { ...process.env, CHAOSLAB_LAB: path.join(lab.stateDir, "lab.json"), CHAOSLAB_JOURNAL_DIR: journalDir };
  const child = spawn(process.execPath, [CLI, "run", scenarioFile], { cwd: REPO_ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const allConfirmed = (text: string) => confirmed.every((fault) => text.includes(`fault ${fault}: effect-confirmed`));
  try {
    await eventually(`fault(s) ${confirmed.join(", ")} confirmed`, async () => stderr, allConfirmed, { timeoutMs, intervalMs: 500 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- chaoslab run stderr ---\n${stderr}`);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  return {
    async cleanup(expected = {}) {
      const cleanup = await promisify(execFile)(process.execPath, [CLI, "cleanup"], { cwd: REPO_ROOT, env }).catch((failure: { code: number; stdout: string; stderr: string }) => failure);
      expect(cleanup, JSON.stringify(cleanup)).not.toHaveProperty("code");
      const { stdout } = cleanup as { stdout: string };
      if (expected.reverting !== undefined) expect(stdout).toContain(`reverting ${expected.reverting} action(s)`);
      expect(stdout).toMatch(/\bclean\b/);
      expect(await fs.readdir(journalDir)).toEqual([]);
      return stdout;
    },
  };
}
