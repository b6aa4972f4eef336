/**
 * `make test`'s `kind` project: the suite on a real kind cluster of the air-gapped images.
 *
 *   1. a Docker engine: the one that answers, else (as root) cluster/kind/offline/docker-host.sh starts
 *      Debian's (installing it and the runtime shim where needed);
 *   2. the air-gapped images: `lab setup --provider kind --offline` (cached: a no-op when nothing changed);
 *   3. `vitest --project kind` (its global setup brings the lab up; its last test takes it down);
 *   4. the dockerd this script started is stopped again.
 *
 * Where no engine can start (not root, no apt, a refusing host, CHAOSLAB_TEST_KIND=0), the project is not
 * run: it says why, and writes reports/out/tests/kind.not-run.json so the closing summary names it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { REPO_ROOT } from "../images.ts";
import { buildOfflineKind } from "../kind/offline/build.ts";
import { recordKindFigures } from "./kind-figures.ts";

const DOCKER_HOST_SCRIPT = path.join(REPO_ROOT, "cluster", "kind", "offline", "docker-host.sh");
const TESTS_DIR = path.join(REPO_ROOT, "reports", "out", "tests");
const log = (line: string) => process.stderr.write(`[kind project] ${line}\n`);

async function dockerAnswers(): Promise<boolean> {
  return (await $({ quiet: true, nothrow: true, timeout: 30_000 })`docker info --format {{.ServerVersion}}`).exitCode === 0;
}

async function notRun(reason: string): Promise<number> {
  log(`NOT RUN: ${reason}`);
  await fs.mkdir(TESTS_DIR, { recursive: true });
  await fs.writeFile(path.join(TESTS_DIR, "kind.not-run.json"), `${JSON.stringify({ project: "kind", notRun: true, reason }, null, 2)}\n`);
  return 0;
}

/** Starts an engine when none answers and this process may; returns whether it started one, or why none runs. */
async function ensureDocker(): Promise<{ started: boolean } | { reason: string }> {
  if (await dockerAnswers()) return { started: false };
  if (process.getuid?.() !== 0) return { reason: "no Docker engine answers and this is not root (start Docker, or run `sudo make docker-host`)" };
  log(`no Docker engine answers: starting one with ${path.relative(REPO_ROOT, DOCKER_HOST_SCRIPT)}`);
  const started = await $({ nothrow: true, timeout: 15 * 60_000, stdio: ["ignore", "inherit", "inherit"] })`${DOCKER_HOST_SCRIPT}`;
  if (started.exitCode !== 0 || !(await dockerAnswers())) return { reason: `the Docker engine could not be started here (docker-host.sh exited ${started.exitCode}; see its ERROR line above)` };
  return { started: true };
}

async function main(): Promise<number> {
  await fs.rm(path.join(TESTS_DIR, "kind.not-run.json"), { force: true });
  if (process.env.CHAOSLAB_TEST_KIND === "0") return notRun("CHAOSLAB_TEST_KIND=0");
  const docker = await ensureDocker();
  if ("reason" in docker) return notRun(docker.reason);
  try {
    const startedAt = Date.now();
    log("building the air-gapped kind images (cached steps are skipped)");
    await buildOfflineKind((line) => process.stderr.write(`${line}\n`));
    const buildSeconds = Math.round((Date.now() - startedAt) / 1000);
    await recordKindFigures(() => ({ offlineImageBuildSeconds: buildSeconds }));
    log(`images ready in ${buildSeconds}s; running vitest --project kind`);
    return await new Promise<number>((resolve) => {
      const child = spawn("npx", ["vitest", "run", "--project", "kind"], {
        cwd: REPO_ROOT,
        stdio: "inherit",
        env: { ...process.env, CHAOSLAB_TEST_RUN: "kind", CHAOSLAB_KIND_OFFLINE: "1" },
      });
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    if (docker.started) {
      log("stopping the dockerd this run started (images stay in /var/lib/docker for the next run)");
      await $({ nothrow: true, timeout: 120_000, stdio: ["ignore", "inherit", "inherit"] })`${DOCKER_HOST_SCRIPT} stop`;
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
