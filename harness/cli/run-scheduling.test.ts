import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { REPO_ROOT } from "../../cluster/images.ts";
import { loadScenarioFile } from "../scenario/loader.ts";
import type { LoadedScenario } from "../scenario/loader.ts";
import { sharesTheLab } from "./commands/run.ts";

async function load(name: string): Promise<LoadedScenario> {
  const result = await loadScenarioFile(path.join(REPO_ROOT, "scenarios", `${name}.yaml`), DEFAULT_CATALOG);
  if (!result.ok) throw new Error(`scenarios/${name}.yaml is invalid: ${JSON.stringify(result.diagnostics)}`);
  return result;
}

const SHARED_PATH = { lanes: false };
const LANES = { lanes: true };

describe("which suite scenarios may share the lab with others", () => {
  it("target-scoped faults with run-named setup share; lab-wide faults and fixed-name setup run alone", async () => {
    expect(sharesTheLab(await load("loader-pod-delete"), DEFAULT_CATALOG, SHARED_PATH)).toBe(true);
    expect(sharesTheLab(await load("broker-crash"), DEFAULT_CATALOG, SHARED_PATH)).toBe(false);
    expect(sharesTheLab(await load("kafka-latency"), DEFAULT_CATALOG, SHARED_PATH)).toBe(false);
    // Each canary deploys into its own namespace (ownNamespace), so the fixed names no longer meet.
    expect(sharesTheLab(await load("canary-rollback"), DEFAULT_CATALOG, SHARED_PATH)).toBe(true);
    expect(sharesTheLab(await load("canary-promote"), DEFAULT_CATALOG, SHARED_PATH)).toBe(true);
    // Deleting a shared workload's pod (the connector, the healer) touches every run on the lab.
    expect(sharesTheLab(await load("connector-pod-delete"), DEFAULT_CATALOG, SHARED_PATH)).toBe(false);
    expect(sharesTheLab(await load("healer-deleted-while-loader-stalled"), DEFAULT_CATALOG, SHARED_PATH)).toBe(false);
    expect(sharesTheLab(await load("loader-pod-delete-healer"), DEFAULT_CATALOG, SHARED_PATH)).toBe(true);
  });

  it("with a Kafka lane per run, network faults on the run's path share; a broker down and shared pods still run alone", async () => {
    expect(sharesTheLab(await load("kafka-latency"), DEFAULT_CATALOG, LANES)).toBe(true);
    expect(sharesTheLab(await load("broker-partition"), DEFAULT_CATALOG, LANES)).toBe(true);
    expect(sharesTheLab(await load("broker-crash"), DEFAULT_CATALOG, LANES)).toBe(false);
    expect(sharesTheLab(await load("broker-crash-during-latency"), DEFAULT_CATALOG, LANES)).toBe(false);
    expect(sharesTheLab(await load("kafka-outage-healer-holds"), DEFAULT_CATALOG, LANES)).toBe(false);
    expect(sharesTheLab(await load("connector-pod-delete"), DEFAULT_CATALOG, LANES)).toBe(false);
    expect(sharesTheLab(await load("loader-pod-delete"), DEFAULT_CATALOG, LANES)).toBe(true);
  });

  it("a canary in the shared namespace still runs alone: two there delete each other's Rollout and Services (seen in a parallel `make chaos`)", async () => {
    const loaded = await load("canary-rollback");
    const setup = loaded.scenario.spec.setup.map((entry) => ({ ...entry, params: { ...(entry.params as object), ownNamespace: false } }));
    const inStreamforge = { ...loaded, scenario: { ...loaded.scenario, spec: { ...loaded.scenario.spec, setup } } };
    expect(sharesTheLab(inStreamforge, DEFAULT_CATALOG, SHARED_PATH)).toBe(false);
  });
});
