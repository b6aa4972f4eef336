/**
 * Faults that overlap, and the whole-cluster outage, on the real lab: a broker crash inside a latency
 * window, `kafka-outage` with its evidence and its negative control, and crash safety — SIGKILL of the
 * harness while two faults overlap, then `chaoslab cleanup` leaves no toxic and no stopped broker.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../cluster/testing/eventually.ts";
import { killRunOnceConfirmed } from "../../cluster/testing/killed-run.ts";
import { labFixture, uniqueName } from "../../cluster/testing/lab-fixture.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { createLabPorts } from "../lab/lab-ports.ts";
import { formatDiagnostic, parseScenario } from "../scenario/loader.ts";
import { runScenario } from "./runner.ts";

const fixture = labFixture();
const ports = createLabPorts(fixture.description);
let workDir: string;

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "composition-lab-"));
});

afterAll(async () => {
  await ports.close();
});

const scenario = (name: string, spec: string) => `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}}\nspec:\n${spec}`;
const explain = (result: ScenarioResult) => JSON.stringify({ verdict: result.verdict, reasons: result.reasons, faults: result.faults.map(({ plan, ...rest }) => rest) }, null, 2);
const ourToxics = async () => (await fixture.lab.network.listToxics()).filter((ref) => ref.name.startsWith("chaoslab-"));
const allBrokersRunning = async () => (await fixture.lab.brokers.list()).every((broker) => broker.running);

async function run(name: string, spec: string): Promise<ScenarioResult> {
  const file = path.join(workDir, `${name}.yaml`);
  const text = scenario(name, spec);
  await fs.writeFile(file, text);
  const loaded = parseScenario(text, file);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  return runScenario(loaded, { catalog: DEFAULT_CATALOG, lab: fixture.lab, ports, recorders: [], clock: systemClock, journalDir: path.join(workDir, "journal"), log: silentLog });
}

describe("faults that overlap on the real lab", () => {
  it("a broker crash inside a latency window: both proven, the crash within the latency window, everything reverted", async () => {
    const result = await run(uniqueName("crash-during-latency"), `  timeout: 4m
  safety: {maxTargets: 1, maxPercent: 34}
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [1]}
      params: {latency: 150ms}
      duration: 25s
    - type: kafka-broker-failure
      name: crash
      after: {fault: slow, by: 3s}
      target: {nodeIds: [2]}
      duration: 8s
  expect:
    - kafka.underReplicated: {max: 0, since: crash, within: 3m, stableFor: 3s, pollEvery: 2s}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    const [slow, crash] = result.faults;
    expect(crash!.injectedAt! - slow!.injectedAt!).toBeGreaterThanOrEqual(3_000);
    expect(crash!.injectedAt!).toBeLessThan(slow!.revertedAt!);
    expect(result.timeline.entries.some((entry) => entry.kind === "fault" && entry.fault === "crash" && entry.event === "scheduled")).toBe(true);
    expect(await ourToxics()).toEqual([]);
    expect(await allBrokersRunning()).toBe(true);
  });
});

describe("the active controller on the real lab", () => {
  it("DescribeQuorum names a quorum leader among the brokers; crashing it moves the leadership", async () => {
    const leader = await ports.kafka.quorumLeader!();
    expect(fixture.description.kafka.nodeIds).toContain(leader);
    const result = await run(uniqueName("controller-crash"), `  timeout: 4m
  safety: {maxTargets: 1, maxPercent: 34}
  faults:
    - type: kafka-broker-failure
      name: crash-controller
      target: {activeController: true}
      params: {shutdown: crash}
      duration: 8s
  expect:
    - kafka.underReplicated: {max: 0, since: crash-controller, within: 3m, stableFor: 3s, pollEvery: 2s}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    expect(result.faults[0]!.evidence!.summary).toMatch(new RegExp(`KRaft quorum leader ${leader} → \\d`));
    expect(await allBrokersRunning()).toBe(true);
  });
});

describe("kafka-outage on the real lab", () => {
  it("every broker down, no metadata answer; all started again and caught up", async () => {
    const result = await run(uniqueName("outage"), `  timeout: 5m
  safety: {maxTargets: 3, maxPercent: 100}
  faults:
    - type: kafka-outage
      name: outage
      duration: 8s
  expect:
    - kafka.underReplicated: {max: 0, since: outage, within: 3m, stableFor: 3s, pollEvery: 2s}
`);
    expect(result.verdict, explain(result)).toBe("passed");
    expect(result.faults[0]!.evidence!.summary).toBe("all 3 brokers down; no metadata answer from the cluster");
    expect(await allBrokersRunning()).toBe(true);
  });

  it("negative control: a broker started behind the harness's back mid-outage makes it inconclusive", async () => {
    const name = uniqueName("outage-undone");
    const running = run(name, `  timeout: 5m
  safety: {maxTargets: 3, maxPercent: 100}
  faults:
    - type: kafka-outage
      name: outage
      duration: 60s
`);
    await eventually("every broker down", async () => (await fixture.lab.brokers.list()).filter((broker) => broker.running).length, (count) => count === 0, { timeoutMs: 60_000, intervalMs: 500 });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await fixture.lab.brokers.start(2);
    const result = await running;
    expect(result.verdict, explain(result)).toBe("inconclusive");
    expect(result.faults[0]!.message).toContain("the outage did not last: broker(s) 2 running again");
    expect(await allBrokersRunning()).toBe(true);
  });
});

describe("crash safety while two faults overlap", () => {
  it("SIGKILL with latency and a stopped broker in effect; `chaoslab cleanup` then leaves neither, and the audit is clean", async () => {
    const name = uniqueName("killed-mid-overlap");
    const file = path.join(workDir, `${name}.yaml`);
    await fs.writeFile(file, scenario(name, `  timeout: 4m
  safety: {maxTargets: 1, maxPercent: 34}
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [3]}
      params: {latency: 150ms}
      duration: 3m
    - type: kafka-broker-failure
      name: crash
      after: {fault: slow, by: 1s}
      target: {nodeIds: [1]}
      duration: 3m
`));
    const killed = await killRunOnceConfirmed(file, { lab: fixture.lab.description, journalDir: path.join(workDir, "cli-journal") }, ["slow", "crash"], 120_000);
    // The kill really left both faults behind (otherwise cleanup would prove nothing).
    expect((await ourToxics()).length).toBeGreaterThan(0);
    expect((await fixture.lab.brokers.list()).find((broker) => broker.nodeId === 1)!.running).toBe(false);

    await killed.cleanup();
    expect(await ourToxics()).toEqual([]);
    expect(await allBrokersRunning()).toBe(true);
  });
});
