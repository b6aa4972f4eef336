/**
 * `CLUSTER=kind make chaos` on a machine with Docker but no Go, Java or Maven: the Makefile's dependency
 * graph and the kind provider's set-up must get past set-up without asking for them. Run for real through
 * make, with PATH holding only node/npm/make, a shell, and stand-ins for docker, kind, kubectl and k6 that
 * answer as those tools do (kind's `create cluster` fails on purpose: the test is about set-up, and the
 * failure proves the run got that far).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import versions from "../versions.json" with { type: "json" };
import { REPO_ROOT } from "../images.ts";

const HOST_TOOLS = ["node", "npm", "npx", "make", "bash", "sh", "env", "cat", "rm", "mkdir", "dirname", "uname", "grep", "awk", "sed", "touch"];

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = path.join(dir, tool);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function stub(bin: string, name: string, script: string) {
  fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${bin}/calls.log"\n${script}\n`, { mode: 0o755 });
}

function machineWithoutToolchains(): { bin: string; env: NodeJS.ProcessEnv } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "no-toolchains-"));
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin);
  for (const tool of HOST_TOOLS) {
    const found = which(tool);
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  stub(bin, "docker", `case "$1" in info) echo "28.2.2 25000000000";; *) echo "docker stand-in: $*" >&2; exit 1;; esac`);
  stub(bin, "kind", `case "$1" in version) echo "kind ${versions.kind} go1.26 linux/amd64";; get) exit 0;; create) echo "ERROR: kind stand-in: no cluster is created in this test" >&2; exit 1;; *) exit 1;; esac`);
  stub(bin, "kubectl", `echo '{"clientVersion":{"gitVersion":"v1.34.4"}}'`);
  stub(bin, "k6", `echo "k6 ${versions.k6} (stand-in)"`);
  const env: NodeJS.ProcessEnv = {
    HOME: root,
    PATH: bin,
    CLUSTER: "kind",
    // An empty tool cache and state dir: nothing built earlier may hide a missing step.
    CHAOSLAB_CACHE_DIR: path.join(root, "cache"),
    CHAOSLAB_STATE_DIR: path.join(root, "state"),
    TESTCONTAINERS_RYUK_DISABLED: "true",
  };
  return { bin, env };
}

describe("CLUSTER=kind make chaos without Go, Java or Maven", () => {
  it("has none of the sim's toolchains on PATH (the premise)", () => {
    const { env } = machineWithoutToolchains();
    for (const tool of ["go", "java", "mvn"]) expect(spawnSync("sh", ["-c", `command -v ${tool}`], { env }).status, tool).not.toBe(0);
  });

  it("the dependency graph of `chaos` runs no sim set-up", () => {
    const { env } = machineWithoutToolchains();
    const dryRun = spawnSync("make", ["-n", "-C", REPO_ROOT, "chaos"], { env, encoding: "utf8" });
    expect(dryRun.status, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain("node bin/chaoslab.mjs chaos");
    expect(dryRun.stdout).not.toMatch(/setup-sim|CLUSTER=sim|lab setup/);
  });

  it("gets past set-up, through make, and fails only where a real cluster is needed", () => {
    const { bin, env } = machineWithoutToolchains();
    const run = spawnSync("make", ["-s", "-C", REPO_ROOT, "chaos"], { env, encoding: "utf8", timeout: 120_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toContain("cluster provider: kind — forced by CLUSTER=kind");
    expect(output).toContain("docker engine 28.2.2");
    expect(output).toMatch(/k6: k6\b/);
    // Set-up passed: the next step, creating the cluster, was tried (and the stand-in refused it).
    expect(fs.readFileSync(path.join(bin, "calls.log"), "utf8")).toContain("kind create cluster --name chaoslab");
    expect(output).toContain("the lab did not come up");
    expect(output).toContain("create kind cluster chaoslab");
    expect(output).not.toMatch(/\bgo: not found|install Go|JDK|Maven|mvn/);
    // chaoslab exits 3 (lab broken); make reports that and exits 2 itself.
    expect(output).toMatch(/chaos\] Error 3/);
    expect(run.status).toBe(2);
    // A whole make + CLI run: seconds when idle, up to a minute on a loaded 2-core machine.
  }, 150_000);
});
