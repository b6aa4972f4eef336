/**
 * The suite on a real kind cluster of the air-gapped images (the `kind` test project): one scenario per
 * fault type plus the canary's rollback, unchanged from scenarios/; a loader frozen by `process-freeze`
 * (its container paused through the node's containerd, checked against the node's own task list); then
 * the `existing` provider pointed at the same cluster's kubeconfig as a user points it at a staging
 * cluster; last, `lab down` leaves no container, network or volume.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../cluster/images.ts";
import type { LabDescription, StartedLab } from "../cluster/provider.ts";
import { withToolsFrom, zxCommandRunner } from "../cluster/kind/command-runner.ts";
import { KIND_CONTROL_PLANE_CONTAINER } from "../cluster/kind/config.ts";
import { leftovers } from "../cluster/kind/offline/cluster.ts";
import { kindImageMode } from "../cluster/kind/offline/mode.ts";
import { createProvider as createKindProvider } from "../cluster/providers/kind.ts";
import { createProvider as createExistingProvider } from "../cluster/providers/existing.ts";
import { recordKindFigures, recordKindScenario } from "../cluster/testing/kind-figures.ts";
import { DEFAULT_CATALOG } from "./catalog.ts";
import { systemClock } from "./core/clock.ts";
import { silentLog } from "./core/context.ts";
import { runScenario } from "./engine/runner.ts";
import type { ScenarioResult } from "../reports/results/scenario-result.ts";
import { createLabPorts } from "./lab/lab-ports.ts";
import { deploySuiteWorkloads } from "./lab/suite-workloads.ts";
import { KubeWatchRecorder } from "./recorders/kube-watch-recorder.ts";
import { QueueEventsRecorder } from "./recorders/queue-events-recorder.ts";
import { formatDiagnostic, parseScenario } from "./scenario/loader.ts";

/** One scenario per fault type of the catalogue, and the canary. */
const SUITE = [
  { file: "loader-pod-delete.yaml", covers: "pod-delete" },
  { file: "kafka-latency.yaml", covers: "network-latency" },
  { file: "broker-crash.yaml", covers: "kafka-broker-failure" },
  { file: "canary-rollback.yaml", covers: "canary rollback" },
] as const;

const description = inject("kindLab");
const log = (line: string) => process.stderr.write(`${line}\n`);
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "suite-kind-"));
});

async function runSuiteFile(lab: StartedLab, labDescription: LabDescription, file: string): Promise<ScenarioResult> {
  const scenarioFile = path.join(REPO_ROOT, "scenarios", file);
  return runScenarioText(lab, labDescription, await fs.readFile(scenarioFile, "utf8"), scenarioFile);
}

async function runScenarioText(lab: StartedLab, labDescription: LabDescription, text: string, scenarioFile: string): Promise<ScenarioResult> {
  const ports = createLabPorts(labDescription);
  try {
    const loaded = parseScenario(text, scenarioFile);
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
    return await runScenario(loaded, {
      catalog: DEFAULT_CATALOG,
      lab,
      ports,
      recorders: [new KubeWatchRecorder(labDescription.kubeconfig), new QueueEventsRecorder(labDescription.kafka.bootstrapDirect)],
      clock: systemClock,
      journalDir: path.join(workDir, "journal"),
      log: silentLog,
    });
  } finally {
    await ports.close();
  }
}

/**
 * Why a run did not pass, on one line and the failing parts first: CI shows only the tail of the log, and
 * a pretty-printed result was cut there before it said which fault or expectation failed.
 */
const explain = (result: ScenarioResult) =>
  JSON.stringify({
    verdict: result.verdict,
    reasons: result.reasons,
    setupErrors: result.setup.filter((entry) => entry.error).map(({ kind, error }) => ({ kind, error })),
    faults: result.faults.map(({ name, verdict, message, evidence }) => ({ name, verdict, message, evidence: evidence?.summary })),
    expectations: result.expectations.filter((entry) => entry.verdict !== "passed").map(({ kind, verdict, message }) => ({ kind, verdict, message })),
    leaks: result.leaks,
  });

describe("the suite on kind (air-gapped images)", () => {
  let lab: StartedLab;

  beforeAll(async () => {
    const attached = await createKindProvider({ log }).attach();
    if (!attached) throw new Error("the kind lab the global setup started is not up");
    lab = attached;
    expect(lab.description.versions.kafkaOperator).toMatch(/StatefulSet/);
    const ports = createLabPorts(description);
    try {
      await deploySuiteWorkloads(description, ports.kube, { log, timeoutMs: 300_000 });
    } finally {
      await ports.close();
    }
  });

  for (const { file, covers } of SUITE) {
    it(`${file} (${covers}) passes`, async () => {
      const result = await runSuiteFile(lab, description, file);
      await recordKindScenario("kind", result.name, (result.finishedAt - result.startedAt) / 1000, result.verdict);
      expect(result.verdict, explain(result)).toBe("passed");
    });
  }
});

// A loader frozen for 6 s, well under its silence threshold, so the healer leaves it alone.
const FREEZE_SCENARIO = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: kind-loader-freeze}
spec:
  timeout: 3m
  seed: 7
  safety: {allowedNamespaces: [streamforge], maxTargets: 1}
  setup:
    - loaders: {count: 1, messages: 3000, rate: 50/s, heartbeat: 1s, silenceThreshold: 60s, backoffLimit: 0}
  faults:
    - {type: process-freeze, name: freeze-loader, target: {namespace: streamforge, selector: app=loader, thisRun: true, mode: one}, duration: 6s}
`;

/** containerd's own task list on the node, read here independently of the fault's code: id → status. */
async function nodeTaskStatuses(): Promise<Map<string, string>> {
  const listed = await zxCommandRunner({ command: "docker", args: ["exec", KIND_CONTROL_PLANE_CONTAINER, "ctr", "-n", "k8s.io", "task", "ls"], timeoutMs: 30_000 });
  return new Map(listed.stdout.split("\n").slice(1).map((line) => line.trim().split(/\s+/)).filter((fields) => fields.length === 3).map(([id, , status]) => [id!, status!]));
}

describe("process-freeze on kind: a loader's container paused through the node's containerd", () => {
  it("the node's containerd holds the loader's task PAUSED for the duration, then RUNNING again, and the audit is clean", async () => {
    const lab = (await createKindProvider({ log }).attach())!;
    const ports = createLabPorts(description);
    try {
      await deploySuiteWorkloads(description, ports.kube, { log, timeoutMs: 300_000 });
    } finally {
      await ports.close();
    }
    const samples: Map<string, string>[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await nodeTaskStatuses());
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const result = await runScenarioText(lab, description, FREEZE_SCENARIO, "/kind/kind-loader-freeze.yaml").finally(() => (sampling = false));
    await sampler;
    await recordKindScenario("kind", result.name, (result.finishedAt - result.startedAt) / 1000, result.verdict);
    expect(result.verdict, explain(result)).toBe("passed");
    const evidence = result.faults[0]!.evidence!.summary;
    log(`kind process-freeze evidence: ${evidence}`);
    expect(evidence).toMatch(/^1 pod\(s\) of streamforge\/.+ frozen: streamforge\/loader-1-\S+ \(containerd:\/\/[0-9a-f]{64}, state (\d+:[DS] ?)+; containerd task PAUSED, (freezer\.state FROZEN|cgroup\.events frozen 1)\)$/);
    const id = /containerd:\/\/([0-9a-f]{64})/.exec(evidence)![1]!;
    // Sampled every ~0.5 s (plus docker exec's own time) across a 6 s freeze.
    const paused = samples.filter((tasks) => tasks.get(id) === "PAUSED").length;
    log(`kind process-freeze: task ${id.slice(0, 12)} PAUSED in ${paused} of ${samples.length} node samples`);
    expect(paused, samples.map((tasks) => tasks.get(id) ?? "-").join(" ")).toBeGreaterThanOrEqual(4);
    expect(samples.at(-1)!.get(id) ?? "gone (the run's teardown deleted the loader)").not.toBe("PAUSED");
    expect(result.leaks).toEqual([]);
    expect(await lab.processes!.listFrozen()).toEqual([]);
  });
});

describe("the existing provider on the same cluster, as on a staging cluster", () => {
  let lab: StartedLab;
  const stateDir = path.join(os.tmpdir(), `existing-on-kind-${process.pid}`);
  let previousKubeconfig: string | undefined;

  beforeAll(async () => {
    const mode = kindImageMode();
    if (mode.kind !== "offline") throw new Error(`the kind project runs on the air-gapped build (${mode.why})`);
    // What a user of a cluster without Strimzi sets (README, "Using an existing cluster").
    const brokers = description.kafka.brokers;
    if (brokers?.kind !== "statefulset") throw new Error(`expected the air-gapped Kafka StatefulSet, got ${JSON.stringify(brokers)}`);
    const env = {
      CHAOSLAB_KAFKA_BOOTSTRAP: description.kafka.bootstrapDirect.join(","),
      CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP: description.kafka.bootstrapWorkloads.join(","),
      CHAOSLAB_KAFKA_BROKERS: `${brokers.namespace}/${brokers.selector}@${brokers.firstNodeId}`,
      CHAOSLAB_TOXIPROXY_API: description.toxiproxy!.api,
      CHAOSLAB_KAFKA_PATHS: (await (await createKindProvider({ log }).attach())!.network.brokerPaths())
        .map((paths) => `${paths.nodeId}=${paths.workloads.host}:${paths.workloads.port}/${paths.direct.host}:${paths.direct.port}`)
        .join(","),
    };
    // As a user does: `export KUBECONFIG=...` selects the cluster the existing provider freezes.
    previousKubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = description.kubeconfig;
    const runner = withToolsFrom(zxCommandRunner, mode.build.binDir, ["kubectl"]);
    lab = await createExistingProvider({ runner, env, stateDir, log }).up({ log });
    // What `make chaos` deploys on every provider (a no-op apply when the kind block above already did).
    const ports = createLabPorts(lab.description);
    try {
      await deploySuiteWorkloads(lab.description, ports.kube, { log, timeoutMs: 300_000 });
    } finally {
      await ports.close();
    }
  });

  afterAll(async () => {
    if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previousKubeconfig;
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  // Everything the existing provider asks for is given above, so nothing may be skipped here.
  for (const { file, covers } of SUITE) {
    it(`${file} (${covers}) passes`, async () => {
      const result = await runSuiteFile(lab, lab.description, file);
      await recordKindScenario("existing", result.name, (result.finishedAt - result.startedAt) / 1000, result.verdict);
      expect(result.verdict, explain(result)).toBe("passed");
    });
  }
});

describe("lab down", () => {
  it("leaves no container, network or volume of the lab", async () => {
    const downStartedAt = Date.now();
    await createKindProvider({ log }).down();
    await recordKindFigures((figures) => ({ ...figures, labDownSeconds: Math.round((Date.now() - downStartedAt) / 100) / 10 }));
    expect(await leftovers()).toEqual([]);
  });
});
