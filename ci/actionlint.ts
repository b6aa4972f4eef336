/**
 * actionlint over the repository's GitHub Actions workflows. The binary is built from the Go module
 * proxy at the version pinned in cluster/versions.json and cached like the lab's components
 * (`~/.cache/chaoslab/actionlint-<version>/`, cluster/build/components.ts): the first run builds it in
 * under a minute, later runs find it.
 *
 * shellcheck and pyflakes are switched off: actionlint runs them only when they happen to be on PATH,
 * so the same workflow would pass on one machine and fail on another. The `run:` scripts stay short and
 * call make targets, which is where the logic (and its tests) lives.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { REPO_ROOT } from "../cluster/images.ts";
import { builtComponentDirs, provision } from "../cluster/build/provision.ts";

export const WORKFLOWS_DIR = path.join(REPO_ROOT, ".github", "workflows");

export async function actionlintBinary(log: (line: string) => void = () => {}): Promise<string> {
  await provision({ only: ["actionlint"], log });
  return path.join((await builtComponentDirs(["actionlint"])).actionlint!, "actionlint");
}

export async function workflowFiles(dir = WORKFLOWS_DIR): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(dir, name));
}

export interface LintOutcome {
  exitCode: number;
  /** One finding per line: `file:line:col: message [rule]`. */
  findings: string[];
}

export async function lintWorkflows(files: readonly string[], binary: string): Promise<LintOutcome> {
  const result = await $({ quiet: true, nothrow: true, cwd: REPO_ROOT })`${binary} -no-color -shellcheck= -pyflakes= ${files}`;
  const findings = `${result.stdout}\n${result.stderr}`.split("\n").filter((line) => line.trim() !== "");
  return { exitCode: result.exitCode ?? -1, findings };
}
