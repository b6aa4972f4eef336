/**
 * `network-partition` on the real lab (Toxiproxy in front of real Kafka brokers): the effect's evidence
 * (round trips fail on the cut path only), the negative control (the cut removed behind the harness's
 * back → inconclusive), and crash safety (SIGKILL mid-cut, then `chaoslab cleanup` from a fresh process).
 * Scenarios are YAML, run through `runScenario` or the real CLI, as in harness/cli/acceptance.lab.test.ts.
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
import { runScenario } from "../engine/runner.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import type { TimelineEntry } from "../../reports/results/timeline.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { formatDiagnostic, parseScenario } from "../scenario/loader.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
/** Every fault here is named `cut`, so its toxics are `chaoslab-<run>-cut-<direction>`. */
const ours = async () => (await fixture.lab.network.listToxics()).filter((ref) => ref.name.startsWith("chaoslab-") && /-cut-(upstream|downstream)$/.test(ref.name));
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "partition-lab-"));
});

afterAll(async () => {
  // A failed test must not leave the shared lab partitioned.
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
const answered = (trip: unknown) => typeof trip === "string" && /^\d+ms$/.test(trip);

describe("network-partition on the real lab", () => {
  it("cuts broker 1's workloads path: round trips fail there, the direct path and the other brokers still answer, and nothing is left after", async () => {
    const result = await run("lab-partition", `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-partition
      name: cut
      target: {nodeIds: [1]}
      duration: 6s
  expect:
    - kafka.underReplicated: {max: 0}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    const fault = result.faults[0]!;
    expect(fault.verdict).toBe("confirmed");
    expect(fault.evidence!.summary).toMatch(/^round trips fail on the cut path\(s\) workloads→1 .*; the controls still answer: direct→1 \d+ms, workloads→2 \d+ms, workloads→3 \d+ms$/);
    const paths = fault.evidence!.observations.paths as Record<string, { cut: boolean; before: string; during: string }>;
    expect(answered(paths["workloads→1"]!.before), JSON.stringify(paths)).toBe(true);
    expect(answered(paths["workloads→1"]!.during), JSON.stringify(paths)).toBe(false);
    for (const control of ["direct→1", "workloads→2", "workloads→3"]) expect(answered(paths[control]!.during), JSON.stringify(paths)).toBe(true);
    expect(result.leaks).toEqual([]);
    expect(await ours()).toEqual([]);
    // Healed: the path that was cut answers again.
    const broker1 = (await fixture.lab.network.brokerPaths()).find((broker) => broker.nodeId === 1)!;
    expect(await ports.rtt.measure(broker1.workloads, 1)).toHaveLength(1);
  });

  it("negative control: the cut removed behind the harness's back mid-way makes the fault inconclusive, not effective", async () => {
    let confirmed = false;
    const running = run(
      "lab-partition-vanishes",
      `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-partition
      name: cut
      target: {nodeIds: [2]}
      params: {direction: both}
      duration: 40s
`,
      (entry) => {
        if (entry.kind === "fault" && entry.event === "effect-confirmed") confirmed = true;
      },
    );
    await eventually("the partition confirmed", async () => confirmed, (value) => value, { timeoutMs: 60_000 });
    const toxics = await eventually("the scenario's two toxics on broker 2", ours, (refs) => refs.length === 2 && refs.every((ref) => ref.nodeId === 2), { timeoutMs: 30_000 });
    // The harness may notice the first removal and revert the second toxic itself: removing it again is fine.
    for (const ref of toxics) await fixture.lab.network.removeToxic(ref);
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    expect(result.faults[0]!.message).toMatch(/disappeared before the fault's 40s were over/);
    expect(result.faults[0]!.evidence!.summary).toMatch(/^effect lost: /);
    expect(result.faults[0]!.revertedAt! - result.faults[0]!.injectedAt!).toBeLessThan(40_000);
    expect(await ours()).toEqual([]);
  });

  it("SIGKILL mid-cut; `chaoslab cleanup` from a fresh process removes the journaled toxics and audits clean", async () => {
    const name = uniqueName("partition-killed");
    const file = path.join(workDir, `${name}.yaml`);
    await fs.writeFile(
      file,
      `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}}\nspec:
  timeout: 3m
  safety: {maxTargets: 1}
  faults:
    - type: network-partition
      name: cut
      target: {nodeIds: [3]}
      duration: 2m
`,
    );
    const killed = await killRunOnceConfirmed(file, { lab: fixture.lab.description, journalDir: path.join(workDir, "cli-journal") }, ["cut"]);
    // The kill really left the cut behind (otherwise cleanup would prove nothing).
    expect((await ours()).map((ref) => ref.nodeId)).toEqual([3, 3]);

    await killed.cleanup({ reverting: 2 });
    expect(await ours()).toEqual([]);
  });
});
