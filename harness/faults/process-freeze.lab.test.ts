/**
 * `process-freeze` on the real sim lab: a pod of a lab image (chaoslab/task) is a real local process, so
 * the kernel itself is the witness — this test reads /proc/<pid>/stat on its own, next to the fault's
 * evidence. The effect (state T for the whole freeze, running again after), the negative control (SIGCONT
 * sent behind the harness's back → inconclusive), and crash safety (SIGKILL of `chaoslab run` mid-freeze,
 * then `chaoslab cleanup` from a fresh process continues the pod and audits clean).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../cluster/testing/eventually.ts";
import { killRunOnceConfirmed } from "../../cluster/testing/killed-run.ts";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { CHAOS_OPT_IN_LABEL } from "../core/safety.ts";
import { runScenario } from "../engine/runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import type { TimelineEntry } from "../../reports/results/timeline.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { formatDiagnostic, parseScenario } from "../scenario/loader.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
const namespace = "streamforge";
const jobs: string[] = [];
const pids: number[] = [];
let workDir: string;

/** The process state as the kernel reports it, read here independently of the fault's own code. */
async function kernelState(pid: number): Promise<string | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** A Job of one long-running chaoslab/task pod, opted in to chaos; resolves with its process id once it runs. */
async function taskPod(prefix: string): Promise<{ job: string; pid: number }> {
  const job = uniqueName(prefix);
  jobs.push(job);
  await fixture.batch.createNamespacedJob({
    namespace,
    body: {
      metadata: { name: job, namespace },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { app: job, [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value } },
          spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 2, containers: [{ name: "task", image: "chaoslab/task:dev", env: [{ name: "RUN_MS", value: "600000" }] }] },
        },
      },
    },
  });
  const [pod] = await eventually(
    `a running process for Job ${job}`,
    async () => (await fixture.core.listNamespacedPod({ namespace, labelSelector: `app=${job}` })).items,
    (pods) => pods.length === 1 && pods[0]!.status?.phase === "Running" && Boolean(pods[0]!.status?.containerStatuses?.[0]?.containerID?.startsWith("process://")),
    { timeoutMs: 60_000 },
  );
  const pid = Number(pod!.status!.containerStatuses![0]!.containerID!.slice("process://".length));
  pids.push(pid);
  expect(await kernelState(pid)).toMatch(/^[SR]$/);
  return { job, pid };
}

const scenario = (name: string, job: string, duration: string) => `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: ${name}}
spec:
  timeout: 3m
  faults:
    - type: process-freeze
      name: freeze
      target: {namespace: ${namespace}, workload: {kind: Job, name: ${job}}}
      duration: ${duration}
`;

async function run(name: string, text: string, onTimeline?: (entry: TimelineEntry) => void): Promise<ScenarioResult> {
  const file = path.join(workDir, `${name}.yaml`);
  await fs.writeFile(file, text);
  const loaded = parseScenario(text, file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, { catalog: DEFAULT_CATALOG, lab: fixture.lab, ports, recorders: [], clock: systemClock, journalDir: path.join(workDir, "journal"), log: silentLog, onTimeline });
}

const explain = (result: ScenarioResult) => JSON.stringify({ verdict: result.verdict, reasons: result.reasons, faults: result.faults.map(({ plan, ...rest }) => rest), leaks: result.leaks }, null, 2);

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "freeze-lab-"));
});

afterAll(async () => {
  // A failed test must not leave a stopped process on the shared lab; deleting the Jobs ends them.
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGCONT");
    } catch {
      /* gone */
    }
  }
  for (const job of jobs) await fixture.batch.deleteNamespacedJob({ name: job, namespace, body: { propagationPolicy: "Background" } }).catch(() => undefined);
  await ports.close();
});

describe("process-freeze on the real sim lab", () => {
  it("stops the pod's process (kernel state T) for the duration, then it runs again, and nothing is left", async () => {
    const { job, pid } = await taskPod("freeze-me");
    const seen: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let sample = 0; sampling && sample < 600; sample++) {
        seen.push((await kernelState(pid)) ?? "gone");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const result = await run("lab-freeze", scenario("lab-freeze", job, "4s"));
    sampling = false;
    await sampler;
    expect(result.verdict, explain(result)).toBe("passed");
    const fault = result.faults[0]!;
    expect(fault.verdict).toBe("confirmed");
    expect(fault.evidence!.summary).toMatch(new RegExp(`frozen: ${namespace}/${job}-\\w+ \\(process://${pid}, state ${pid}:T\\)$`));
    // The kernel said T for the whole window (≈ 4 s of 100 ms samples), and the process runs again after.
    expect(seen.filter((state) => state === "T").length, seen.join("")).toBeGreaterThanOrEqual(30);
    expect(fault.revertedAt! - fault.effectConfirmedAt!).toBeGreaterThanOrEqual(3_500);
    expect(await kernelState(pid)).toMatch(/^[SR]$/);
    expect(result.leaks).toEqual([]);
    expect(await fixture.lab.processes!.listFrozen()).toEqual([]);
  });

  it("negative control: a SIGCONT sent behind the harness's back mid-freeze makes the fault inconclusive, not effective", async () => {
    const { job, pid } = await taskPod("freeze-thawed");
    let confirmed = false;
    const running = run("lab-freeze-thawed", scenario("lab-freeze-thawed", job, "40s"), (entry) => {
      if (entry.kind === "fault" && entry.event === "effect-confirmed") confirmed = true;
    });
    await eventually("the freeze confirmed", async () => confirmed, (value) => value, { timeoutMs: 60_000 });
    expect(await kernelState(pid)).toBe("T");
    process.kill(-pid, "SIGCONT");
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    expect(result.faults[0]!.message).toMatch(/^the freeze did not last: pod streamforge\/.+'s process runs again \(processes \d+:[SR].*\): continued behind the harness's back before the 40s were over$/);
    expect(result.faults[0]!.evidence!.summary).toMatch(/^effect lost: /);
    expect(result.faults[0]!.revertedAt! - result.faults[0]!.injectedAt!).toBeLessThan(40_000);
    expect(await kernelState(pid)).toMatch(/^[SR]$/);
  });

  it("SIGKILL of `chaoslab run` mid-freeze; `chaoslab cleanup` from a fresh process continues the pod and audits clean", async () => {
    const { job, pid } = await taskPod("freeze-killed");
    const name = uniqueName("freeze-killed");
    const file = path.join(workDir, `${name}.yaml`);
    await fs.writeFile(file, scenario(name, job, "2m"));
    const killed = await killRunOnceConfirmed(file, { lab: fixture.lab.description, journalDir: path.join(workDir, "cli-journal") }, ["freeze"]);
    // The kill really left the pod stopped (otherwise cleanup would prove nothing).
    expect(await kernelState(pid)).toBe("T");
    expect((await fixture.lab.processes!.listFrozen()).map((found) => found.containerID)).toContain(`process://${pid}`);

    await killed.cleanup({ reverting: 1 });
    expect(await kernelState(pid)).toMatch(/^[SR]$/);
  });
});
