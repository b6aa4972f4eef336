/**
 * `network-loss` on the real lab (Toxiproxy in front of real Kafka brokers): the effect's evidence (a share
 * of fresh connections on the targeted path is lost, consistent with the probability; every control
 * answers), the negative control (the toxic removed behind the harness's back → inconclusive), and no
 * toxic left after.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../cluster/testing/eventually.ts";
import { labFixture } from "../../cluster/testing/lab-fixture.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { runScenario } from "../engine/runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import type { TimelineEntry } from "../../reports/results/timeline.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { formatDiagnostic, parseScenario } from "../scenario/loader.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
/** Every fault here is named `lossy`, so its toxics are `chaoslab-<run>-lossy-<direction>`. */
const ours = async () => (await fixture.lab.network.listToxics()).filter((ref) => /^chaoslab-.*-lossy-(upstream|downstream)$/.test(ref.name));
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "loss-lab-"));
});

afterAll(async () => {
  // A failed test must not leave the shared lab lossy.
  for (const ref of await ours()) await fixture.lab.network.removeToxic(ref);
  await ports.close();
});

async function run(name: string, spec: string, onTimeline?: (entry: TimelineEntry) => void): Promise<ScenarioResult> {
  const file = path.join(workDir, `${name}.yaml`);
  const text = `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}}\nspec:\n${spec}`;
  await fs.writeFile(file, text);
  const loaded = parseScenario(text, file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, { catalog: DEFAULT_CATALOG, lab: fixture.lab, ports, recorders: [], clock: systemClock, journalDir: path.join(workDir, "journal"), log: silentLog, onTimeline });
}

const explain = (result: ScenarioResult) => JSON.stringify({ verdict: result.verdict, reasons: result.reasons, faults: result.faults.map(({ plan, ...rest }) => rest), leaks: result.leaks }, null, 2);

describe("network-loss on the real lab", () => {
  it("loses half of the fresh connections to broker 1's workloads path: some lost, some answered, every control answers, nothing left after", async () => {
    const result = await run("lab-loss", `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-loss
      name: lossy
      target: {nodeIds: [1]}
      params: {probability: 0.5}
      duration: 8s
`);
    expect(result.verdict, explain(result)).toBe("passed");
    const fault = result.faults[0]!;
    expect(fault.verdict).toBe("confirmed");
    console.log(`[lab evidence] network-loss: ${fault.evidence!.summary}`);
    expect(fault.evidence!.summary).toMatch(/^fresh connections lost on workloads→1 \d+\/20 lost \(\d+%\) \(configured 50% per connection\); the controls answered: direct→1 20\/20, workloads→2 20\/20, workloads→3 20\/20$/);
    expect(result.leaks).toEqual([]);
    expect(await ours()).toEqual([]);
    // Healed: fresh connections on the lossy path all answer again.
    const broker1 = (await fixture.lab.network.brokerPaths()).find((broker) => broker.nodeId === 1)!;
    const trips = await Promise.all(Array.from({ length: 10 }, () => ports.rtt.measure(broker1.workloads, 1, AbortSignal.timeout(3_000))));
    expect(trips).toHaveLength(10);
  });

  it("probability 1 upstream: every fresh connection's requests are lost", async () => {
    const result = await run("lab-loss-all", `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-loss
      name: lossy
      target: {nodeIds: [2]}
      params: {probability: 1, direction: upstream}
      duration: 5s
`);
    expect(result.verdict, explain(result)).toBe("passed");
    console.log(`[lab evidence] network-loss p=1: ${result.faults[0]!.evidence!.summary}`);
    expect(result.faults[0]!.evidence!.summary).toMatch(/^fresh connections lost on workloads→2 20\/20 lost \(100%\)/);
    expect(await ours()).toEqual([]);
  });

  it("negative control: the toxic removed behind the harness's back mid-way makes the fault inconclusive, not effective", async () => {
    let confirmed = false;
    const running = run(
      "lab-loss-vanishes",
      `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-loss
      name: lossy
      target: {nodeIds: [3]}
      params: {probability: 0.5}
      duration: 40s
`,
      (entry) => {
        if (entry.kind === "fault" && entry.event === "effect-confirmed") confirmed = true;
      },
    );
    await eventually("the loss confirmed", async () => confirmed, (value) => value, { timeoutMs: 60_000 });
    const toxics = await eventually("the scenario's toxic on broker 3", ours, (refs) => refs.length === 1 && refs[0]!.nodeId === 3, { timeoutMs: 30_000 });
    for (const ref of toxics) await fixture.lab.network.removeToxic(ref);
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    console.log(`[lab evidence] network-loss negative control: ${result.faults[0]!.message}`);
    expect(result.faults[0]!.message).toMatch(/disappeared before the fault's 40s were over/);
    expect(result.faults[0]!.revertedAt! - result.faults[0]!.injectedAt!).toBeLessThan(40_000);
    expect(result.leaks).toEqual([]);
    expect(await ours()).toEqual([]);
  });
});
