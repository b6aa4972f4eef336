/**
 * Acceptance of the engine on the real lab: the negative controls (a scenario must be able to fail or
 * be inconclusive for the right reason) and crash safety (SIGKILL in the middle of a fault, then
 * `chaoslab cleanup`). Scenarios are YAML files run through `runScenario` or the real CLI process.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { REPO_ROOT } from "../../cluster/images.ts";
import { eventually } from "../../cluster/testing/eventually.ts";
import { killRunOnceConfirmed } from "../../cluster/testing/killed-run.ts";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { runScenario } from "../engine/runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { deploySuiteWorkloads, scaleHealer } from "../lab/suite-workloads.ts";
import { KubeWatchRecorder } from "../recorders/kube-watch-recorder.ts";
import { QueueEventsRecorder } from "../recorders/queue-events-recorder.ts";
import { formatDiagnostic, parseScenario } from "../scenario/loader.ts";
import type { TimelineEntry } from "../../reports/results/timeline.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "acceptance-lab-"));
  await deploySuiteWorkloads(fixture.description, ports.kube);
});

afterAll(async () => {
  await ports.close();
});

async function run(file: string, text: string, onTimeline?: (entry: TimelineEntry) => void): Promise<ScenarioResult> {
  await fs.writeFile(file, text);
  const loaded = parseScenario(text, file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, {
    catalog: DEFAULT_CATALOG,
    lab: fixture.lab,
    ports,
    recorders: [new KubeWatchRecorder(fixture.description.kubeconfig), new QueueEventsRecorder(fixture.description.kafka.bootstrapDirect)],
    clock: systemClock,
    journalDir: path.join(workDir, "journal"),
    log: silentLog,
    onTimeline,
  });
}

const scenario = (name: string, spec: string) => `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}}\nspec:\n${spec}`;
const explain = (result: ScenarioResult) => JSON.stringify({ verdict: result.verdict, reasons: result.reasons, faults: result.faults.map(({ plan, ...rest }) => rest) }, null, 2);

describe("negative controls", () => {
  it("the stalled-loader scenario ends failed when the healer is scaled to 0", async () => {
    // The suite's own file, with only its healer expectation: the ledger of a loader nobody replaces
    // never completes, and waiting that out proves nothing more.
    const suiteFile = path.join(REPO_ROOT, "scenarios", "loader-stuck-healed.yaml");
    const document = YAML.parseDocument(await fs.readFile(suiteFile, "utf8"));
    const expectations = document.getIn(["spec", "expect"]) as YAML.YAMLSeq;
    expectations.items = expectations.items.filter((item) => (item as YAML.YAMLMap).has("healer.replaced"));
    document.setIn(["metadata", "name"], "stuck-without-healer");
    await scaleHealer(fixture.description, ports.kube, 0);
    let result: ScenarioResult;
    try {
      result = await run(path.join(workDir, "stuck-without-healer.yaml"), document.toString());
    } finally {
      await scaleHealer(fixture.description, ports.kube, 2);
    }
    expect(result.verdict, explain(result)).toBe("failed");
    expect(result.expectations[0]).toMatchObject({ kind: "healer.replaced", verdict: "failed" });
    expect(result.expectations[0]!.message).toMatch(/no replacement of loader-1/);
  });

  it("a fault whose selector matches nothing ends inconclusive and touches nothing", async () => {
    const result = await run(
      path.join(workDir, "nothing-matches.yaml"),
      scenario("nothing-matches", `  timeout: 1m
  faults:
    - type: pod-delete
      name: kill-nobody
      target: {namespace: streamforge, selector: app=${uniqueName("no-such-app")}, mode: one}
      params: {force: true}
  expect:
    - kafka.underReplicated: {max: 0}
`),
    );
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]).toMatchObject({ verdict: "inconclusive" });
    expect(result.faults[0]!.injectedAt).toBeUndefined();
    expect(result.reasons.map((reason) => reason.message).join("\n")).toMatch(/no candidate matched/);
  });

  it("a latency fault whose toxic is silently removed mid-run is not reported as effective", async () => {
    const name = "toxic-vanishes";
    let confirmed = false;
    const running = run(
      path.join(workDir, `${name}.yaml`),
      scenario(name, `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [3]}
      params: {latency: 200ms}
      duration: 40s
`),
      (entry) => {
        if (entry.kind === "fault" && entry.event === "effect-confirmed") confirmed = true;
      },
    );
    // Once the harness has confirmed the effect, remove the toxic behind its back.
    await eventually("the latency fault confirmed", async () => confirmed, (value) => value, { timeoutMs: 60_000 });
    const [toxic] = await eventually("the scenario's toxic on broker 3", async () => (await fixture.lab.network.listToxics()).filter((ref) => ref.name.includes(`-slow-`) && ref.nodeId === 3), (refs) => refs.length === 1, { timeoutMs: 60_000 });
    await fixture.lab.network.removeToxic(toxic!);
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    expect(result.faults[0]!.message).toMatch(/disappeared/);
    expect(result.faults[0]!.evidence!.summary).toMatch(/^effect lost: /);
    // It ended well before its 40 s: the loss was noticed, not waited out.
    expect(result.faults[0]!.revertedAt! - result.faults[0]!.injectedAt!).toBeLessThan(40_000);
  });
});

describe("crash safety through the CLI", () => {
  it("SIGKILL in the middle of the latency fault; `chaoslab cleanup` then leaves no toxic, no stopped broker, and a clean audit", async () => {
    const name = uniqueName("killed-mid-fault");
    const file = path.join(workDir, `${name}.yaml`);
    await fs.writeFile(
      file,
      scenario(name, `  timeout: 3m
  safety: {maxTargets: 3}
  faults:
    - type: network-latency
      name: slow
      target: {all: true, mode: all}
      params: {latency: 200ms}
      duration: 2m
`),
    );
    const killed = await killRunOnceConfirmed(file, { lab: fixture.lab.description, journalDir: path.join(workDir, "cli-journal") }, ["slow"]);
    const ours = async () => (await fixture.lab.network.listToxics()).filter((ref) => ref.name.includes(`-slow-`) && ref.name.startsWith("chaoslab-"));
    // The kill really left the fault behind (otherwise cleanup would prove nothing).
    expect((await ours()).length).toBe(3);

    await killed.cleanup({ reverting: 3 });
    expect(await ours()).toEqual([]);
    expect((await fixture.lab.brokers.list()).every((broker) => broker.running)).toBe(true);
  });
});
