/**
 * The lab's lifecycle through the `chaoslab` CLI, as a user runs it. Runs in its own vitest project
 * (`lifecycle`), after the `lab` project, because it takes the lab down.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { REPO_ROOT } from "../../images.ts";
import { loadKubeConfig } from "../../kube/apply.ts";
import { eventually } from "../../testing/eventually.ts";
import { allLabPorts, PORTS, stateDir, statePaths } from "../layout.ts";
import { cacheDir } from "../../build/cache-dir.ts";
import { isAlive } from "../supervisor.ts";
import { loopbackPortsInUse } from "../../network/tcp-probe.ts";
import { SIM_COMPONENTS } from "./components.ts";

function chaoslab(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "chaoslab.mjs"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 20 * 60_000,
  });
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * Every process of *this* lab (another lab may run beside it in another slot, from the same cache):
 * components name this lab's state dir in their arguments, Toxiproxy its API port, and the runtime and
 * pod processes this checkout's files.
 */
function labProcesses(): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  const repoPrograms = ["cluster/sim/process-runtime", "workloads/", "healer/"].map((part) => path.join(REPO_ROOT, part));
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue;
    }
    const isLab =
      cmdline.includes(stateDir()) ||
      (cmdline.includes(cacheDir()) && cmdline.includes("toxiproxy-server") && cmdline.includes(`-port ${PORTS.toxiproxyApi}`)) ||
      (cmdline.includes("--import tsx") && repoPrograms.some((program) => cmdline.includes(program)));
    if (isLab && isAlive(pid)) found.push({ pid, cmdline: cmdline.slice(0, 200) });
  }
  return found;
}

describe("chaoslab lab up | status | down", () => {
  it("up is idempotent, status reports health (and an unexpected death), down leaves no process, port or state", async () => {
    const first = chaoslab("lab", "up");
    expect(first.exitCode, first.output).toBe(0);
    const second = chaoslab("lab", "up");
    expect(second.exitCode, second.output).toBe(0);
    expect(second.output).toMatch(/already up/);

    const status = chaoslab("lab", "status", "--json");
    expect(status.exitCode, status.output).toBe(0);
    const report = JSON.parse(status.stdout) as { provider: string; components: Record<string, { healthy: boolean; pid?: number; detail: string }> };
    expect(report.provider).toBe("sim");
    // Every component the sim starts is reported, and at least the ones the issue names.
    expect(Object.keys(report.components).sort()).toEqual([...SIM_COMPONENTS].sort());
    for (const name of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "argo-rollouts", "toxiproxy", "kafka-1", "kafka-2", "kafka-3", "process-runtime"]) {
      expect(report.components).toHaveProperty(name);
    }
    for (const [name, component] of Object.entries(report.components)) {
      expect(component.healthy, `${name}: ${component.detail}`).toBe(true);
      expect(component.pid).toBeGreaterThan(0);
    }

    // A pod process, so `down` has to stop those too.
    const kubeConfig = loadKubeConfig(statePaths().kubeconfig);
    const batch = kubeConfig.makeApiClient(k8s.BatchV1Api);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    await batch.createNamespacedJob({
      namespace: "streamforge",
      body: {
        metadata: { name: "outlives-nothing" },
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "task", image: "chaoslab/task:dev", env: [{ name: "RUN_MS", value: "600000" }] }] } } },
      },
    });
    const pods = await eventually(
      "the Job's pod process running",
      async () => (await core.listNamespacedPod({ namespace: "streamforge", labelSelector: "job-name=outlives-nothing" })).items,
      (items) => items[0]?.status?.containerStatuses?.[0]?.containerID?.startsWith("process://") === true,
      { timeoutMs: 60_000 },
    );
    const podPid = Number(pods[0]!.status!.containerStatuses![0]!.containerID!.slice("process://".length));
    expect(isAlive(podPid)).toBe(true);

    // An unexpected death shows as unhealthy, and status exits non-zero.
    process.kill(report.components.toxiproxy!.pid!, "SIGKILL");
    await eventually("toxiproxy to be gone", async () => isAlive(report.components.toxiproxy!.pid!), (alive) => !alive, { timeoutMs: 5_000 });
    const degraded = chaoslab("lab", "status", "--json");
    expect(degraded.exitCode).toBe(3);
    const degradedReport = JSON.parse(degraded.stdout) as typeof report;
    expect(degradedReport.components.toxiproxy!.healthy).toBe(false);
    expect(degradedReport.components.toxiproxy!.detail).toMatch(/exited unexpectedly/);
    expect(degradedReport.components.etcd!.healthy).toBe(true);

    const down = chaoslab("lab", "down");
    expect(down.exitCode, down.output).toBe(0);
    expect(labProcesses()).toEqual([]);
    expect(isAlive(podPid)).toBe(false);
    expect(await loopbackPortsInUse(allLabPorts())).toEqual([]);
    expect(fs.existsSync(stateDir())).toBe(false);

    const after = chaoslab("lab", "status", "--json");
    expect(after.exitCode).toBe(3);
    expect(JSON.parse(after.stdout)).toMatchObject({ provider: "sim", up: false });

    // A port the lab needs is taken: `up` refuses before starting anything, naming the port.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(PORTS.apiServer, "127.0.0.1", resolve));
    try {
      const blocked = chaoslab("lab", "up");
      expect(blocked.exitCode).toBe(3);
      expect(blocked.stderr).toMatch(new RegExp(`ports already in use on 127\\.0\\.0\\.1: ${PORTS.apiServer}`));
      expect(labProcesses()).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
