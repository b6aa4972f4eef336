import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeAllureResults } from "./allure-results.ts";
import { fixtureResults } from "./testing/report-fixtures.ts";

interface Attachment {
  name: string;
  source: string;
  type: string;
}
interface Step {
  name: string;
  status: string;
  steps: Step[];
  attachments: Attachment[];
  statusDetails?: { message?: string };
}
interface AllureTest extends Step {
  labels: { name: string; value: string }[];
  parameters: { name: string; value: string; excluded?: boolean }[];
  statusDetails: { message: string };
  description: string;
}

async function written(dir: string): Promise<Map<string, AllureTest>> {
  const tests = new Map<string, AllureTest>();
  for (const name of (await fs.readdir(dir)).filter((file) => file.endsWith("-result.json"))) {
    const test = JSON.parse(await fs.readFile(path.join(dir, name), "utf8")) as AllureTest;
    tests.set(test.labels.find((label) => label.name === "subSuite")!.value, test);
  }
  return tests;
}

describe("Allure results of a chaoslab run", () => {
  it("writes one test per scenario whose history key survives a new run (seed and runId excluded)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "allure-results-"));
    await writeAllureResults(fixtureResults(), dir);
    const tests = await written(dir);
    expect([...tests.keys()].sort()).toEqual(["broker-crash", "kafka-latency", "loader-pod-delete"]);
    const parameters = tests.get("broker-crash")!.parameters;
    expect(parameters.filter((parameter) => !parameter.excluded).map((parameter) => parameter.name)).toEqual(["provider"]);
    expect(parameters.find((parameter) => parameter.name === "seed")).toMatchObject({ value: "1739204117", excluded: true });
  });

  it("mirrors the phases as steps, with the evidence attached where it was observed", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "allure-results-"));
    await writeAllureResults(fixtureResults(), dir);
    const test = (await written(dir)).get("loader-pod-delete")!;
    expect(test.steps.map((step) => step.name)).toEqual([
      "Setup",
      "Steady state (before)",
      "Fault kill-loader (pod-delete)",
      "Expect healer replaced ≥ 1 Job within 60s of kill-loader",
      "Expect no acknowledged record lost",
      "Revert",
      "Teardown",
      "Leak audit",
    ]);
    const fault = test.steps[2]!;
    expect(fault.attachments.map((attachment) => attachment.name)).toEqual(["plan of kill-loader", "evidence of kill-loader", "events of kill-loader's targets"]);
    const targetEvents = JSON.parse(await fs.readFile(path.join(dir, fault.attachments[2]!.source), "utf8")) as { events: { reason: string }[]; objectChanges: { change: string }[] };
    expect(targetEvents.events.map((event) => event.reason)).toEqual(["Killing"]);
    expect(targetEvents.objectChanges.map((change) => change.change)).toEqual(["deleted"]);
    expect(test.steps[3]!.attachments.map((attachment) => attachment.name)).toEqual(["evidence of expect[0]", "probe samples of expect[0]"]);
    expect(test.steps[1]!.steps[0]!.attachments.map((attachment) => attachment.name)).toEqual(["probe samples of steadyState[0] (before)"]);
    expect(test.description).toContain("chaoslab run scenarios/loader-pod-delete.yaml --seed 42");
  });

  it("attaches the timeline as SVG and the run's evidence as JSON", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "allure-results-"));
    await writeAllureResults(fixtureResults(), dir);
    const test = (await written(dir)).get("loader-pod-delete")!;
    expect(test.attachments.map((attachment) => `${attachment.name} (${attachment.type})`)).toEqual([
      "timeline (image/svg+xml)",
      "timeline (entries) (application/json)",
      "resolved plan (application/json)",
      "probe samples (application/json)",
      "Kubernetes events and object changes (application/json)",
      "healer decisions (application/json)",
      "seed and versions (application/json)",
      "verdict reasons (application/json)",
      "Kafka ledger (application/json)",
    ]);
    const read = async (name: string) => fs.readFile(path.join(dir, test.attachments.find((attachment) => attachment.name === name)!.source), "utf8");
    expect(test.attachments[0]!.source).toMatch(/-attachment\.svg$/);
    expect(await read("timeline")).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(JSON.parse(await read("healer decisions"))).toMatchObject([{ action: "detected" }, { action: "replaced", replacementJobName: "loader-2-r1" }]);
    expect(JSON.parse(await read("seed and versions"))).toMatchObject({ seed: 42, fingerprint: { provider: "sim", components: { kafka: "4.3.1" } } });
    expect(Object.keys(JSON.parse(await read("probe samples")))).toEqual(["steadyState[0] k8s.object (before)", "expect[0] healer.actions", "expect[1] kafka.ledger"]);
  });

  it("tags failed and broken scenarios for the categories", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "allure-results-"));
    await writeAllureResults(fixtureResults(), dir);
    const tests = await written(dir);
    expect(tests.get("broker-crash")).toMatchObject({ status: "failed", statusDetails: { message: expect.stringMatching(/^\[resilience\] expect\[3\] kafka.ledger/) } });
    expect(tests.get("kafka-latency")).toMatchObject({ status: "broken", statusDetails: { message: expect.stringMatching(/^\[lab\] setup\[0\] loaders/) } });
    expect(tests.get("loader-pod-delete")!.status).toBe("passed");
  });

  it("replaces an earlier run's results of the same scenarios, attachments included", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "allure-results-"));
    await writeAllureResults(fixtureResults(), dir);
    const first = (await fs.readdir(dir)).length;
    await writeAllureResults(fixtureResults(), dir);
    expect((await fs.readdir(dir)).length).toBe(first);
    expect((await fs.readdir(dir)).filter((file) => file.endsWith("-result.json"))).toHaveLength(3);
  });
});
