/**
 * `network-bandwidth` on the real lab (Toxiproxy in front of real Kafka brokers): the effect's evidence (a
 * known number of bytes takes at least bytes ÷ rate on the capped path, the controls move it fast), the
 * negative control (the cap removed behind the harness's back → inconclusive), and no toxic left after.
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
/** Every fault here is named `narrow`, so its toxics are `chaoslab-<run>-narrow-downstream`. */
const ours = async () => (await fixture.lab.network.listToxics()).filter((ref) => /^chaoslab-.*-narrow-downstream$/.test(ref.name));
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bandwidth-lab-"));
});

afterAll(async () => {
  // A failed test must not leave the shared lab capped.
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

describe("network-bandwidth on the real lab", () => {
  it("caps broker 2's workloads path at 10 KB/s: the transfer there takes bytes ÷ rate, the direct path and the other brokers stay fast, and nothing is left after", async () => {
    const result = await run("lab-bandwidth", `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-bandwidth
      name: narrow
      target: {nodeIds: [2]}
      params: {rate: 10}
      duration: 8s
`);
    expect(result.verdict, explain(result)).toBe("passed");
    const fault = result.faults[0]!;
    expect(fault.verdict).toBe("confirmed");
    console.log(`[lab evidence] network-bandwidth: ${fault.evidence!.summary}`);
    // The read is the broker's own configs (~17 KB; its size follows the broker's config, e.g. its
    // listeners), the same bytes on the capped path and on the controls.
    const observed = /^downstream workloads→2 ([\d.]+) KB in ([\d.]+) s = ([\d.]+) KB\/s \(cap 10 KB\/s\); controls: direct→2 ([\d.]+) KB in \d+ ms = [\d.]+ KB\/s, workloads→1 .*, workloads→3 .*$/.exec(fault.evidence!.summary);
    expect(observed, fault.evidence!.summary).not.toBeNull();
    const [, cappedKB, , cappedRate, directKB] = observed!;
    expect(directKB).toBe(cappedKB);
    // Enough bytes that the cap shows (over a second at 10 KB/s), yet one response.
    expect(Number(cappedKB)).toBeGreaterThan(10);
    expect(Number(cappedKB)).toBeLessThan(64);
    // Toxiproxy never sends faster than the cap; the round trip and the clock add a little.
    expect(Number(cappedRate)).toBeLessThanOrEqual(10.5);
    expect(Number(cappedRate)).toBeGreaterThan(7);
    expect(result.leaks).toEqual([]);
    expect(await ours()).toEqual([]);
    // Healed: the capped path moves the same bytes fast again.
    const broker2 = (await fixture.lab.network.brokerPaths()).find((broker) => broker.nodeId === 2)!;
    expect((await ports.transfer.transfer(broker2.workloads, 2, 15_000)).ms).toBeLessThan(500);
  });

  it("negative control: the cap removed behind the harness's back mid-way makes the fault inconclusive, not effective", async () => {
    let confirmed = false;
    const running = run(
      "lab-bandwidth-vanishes",
      `  timeout: 2m
  safety: {maxTargets: 1}
  faults:
    - type: network-bandwidth
      name: narrow
      target: {nodeIds: [3]}
      params: {rate: 20}
      duration: 40s
`,
      (entry) => {
        if (entry.kind === "fault" && entry.event === "effect-confirmed") confirmed = true;
      },
    );
    await eventually("the cap confirmed", async () => confirmed, (value) => value, { timeoutMs: 60_000 });
    const toxics = await eventually("the scenario's toxic on broker 3", ours, (refs) => refs.length === 1 && refs[0]!.nodeId === 3, { timeoutMs: 30_000 });
    for (const ref of toxics) await fixture.lab.network.removeToxic(ref);
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    console.log(`[lab evidence] network-bandwidth negative control: ${result.faults[0]!.message}`);
    expect(result.faults[0]!.message).toMatch(/disappeared before the fault's 40s were over/);
    expect(result.faults[0]!.revertedAt! - result.faults[0]!.injectedAt!).toBeLessThan(40_000);
    expect(result.leaks).toEqual([]);
    expect(await ours()).toEqual([]);
  });
});
