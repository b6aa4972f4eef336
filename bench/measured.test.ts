import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BEGIN_MARKER, END_MARKER, README, readAllFigures, renderMeasuredTable, replaceMeasured, type AllFigures } from "./measured.ts";

const FIGURES: AllFigures = {
  lab: {
    measuredAt: "2026-12-05T00:00:00Z",
    machine: { cores: 2, memoryGiB: 24 },
    coldBuildSeconds: { kwok: 81, kube: 335, toxiproxy: 21 },
    coldBuildTotalSeconds: 437,
    warmUpSeconds: { runs: [11.3, 12.1, 11.8], median: 11.8 },
    downSeconds: { runs: [3.1, 3.3, 3.2], median: 3.2 },
    residentMemoryMiB: { totalMiB: 2200, byComponent: { apiserver: 460, "kafka-1": 300, kwok: 40 } },
    peer: { what: "kwokctl", runs: [3.2, 3.0, 3.4], median: 3.2, labUpOverPeer: 3.69 },
    apiServerSeconds: { runs: [3.1, 2.9, 3.0], median: 3.0 },
    controlPlaneSeconds: { runs: [3.9, 3.7, 4.0], median: 3.9 },
  },
  healer: { eventsPerSec: 104_673, bareConsumerEventsPerSec: 269_707, ingestLagP99Ms: 113, detectionOverThresholdP99Ms: 550, remediationP95Ms: 170, trackedJobs: 10_000, rssMiB: 311 },
  suite: { measuredAt: "x", suiteSeconds: 406, commandSeconds: 430, targetSuiteSeconds: 180, scenarios: { "broker-crash": { seconds: 55, verdict: "passed" }, "canary-rollback": { seconds: 29, verdict: "failed" } } },
  kind: { offlineImageBuildSeconds: 359, labUpSeconds: 72, suites: { kind: { "broker-crash": { seconds: 65.5, verdict: "passed" } } }, labDownSeconds: 6.3 },
};

describe("the Measured table", () => {
  it("renders every figure with its ratio to the target and to the peer", () => {
    const table = renderMeasuredTable(FIGURES);
    expect(table).toContain("437 s: kube 335 s, kwok 81 s, toxiproxy 21 s (kube dominates)");
    expect(table).toContain("median 11.8 s (runs: 11.3 s, 12.1 s, 11.8 s); target ≤ 8 s");
    expect(table).toContain("median 3.2 s (runs: 3.2 s, 3 s, 3.4 s); `lab up` takes 3.69× of it");
    expect(table).toContain("median 3 s (runs: 3.1 s, 2.9 s, 3 s), 0.94× of kwokctl's; with controller-manager and scheduler healthy: median 3.9 s (runs: 3.9 s, 3.7 s, 4 s), 1.22× of kwokctl's");
    expect(table).toContain("104,673 events/s against 269,707 for a bare kafkajs consumer in the same run: 0.39× (target ≥ 0.8×)");
    expect(table).toContain("311 MiB RSS with 10,000 tracked Jobs");
    const rounds = [0.7, 0.39, 0.5].map((pair) => ({ bareEventsPerSec: 100, healerEventsPerSec: pair * 100, ratio: pair }));
    expect(renderMeasuredTable({ healer: { ...FIGURES.healer!, details: { throughputRounds: rounds } } })).toContain(
      "0.39× (target ≥ 0.8×), the median of 3 alternating pairs (0.70×, 0.39×, 0.50×)",
    );
    expect(table).toContain("406 s first start → last end (target ≤ 180 s: 2.26× of it)");
    expect(table).toContain("canary-rollback 29 s (failed)");
    expect(table).not.toContain("Where it goes");
    const phases = { alone: { scenarios: ["broker-crash", "kafka-latency"], seconds: 183 }, concurrent: { scenarios: ["a", "b"], seconds: 77, peak: 2 } };
    expect(renderMeasuredTable({ suite: { ...FIGURES.suite!, phases } })).toContain(
      "the whole command 430 s. Where it goes: 2 scenarios one at a time (lab-wide faults) 183 s (broker-crash, kafka-latency); 2 side by side (at most 2 at once) 77 s. Per scenario:",
    );
    const targetSet = { names: ["broker-crash"], suiteSeconds: 150, commandSeconds: 160, targetSuiteSeconds: 180, scenarios: { "broker-crash": { seconds: 44, verdict: "passed" } } };
    const withTargetSet = renderMeasuredTable({ suite: { ...FIGURES.suite!, parallel: 4, targetSet } });
    expect(withTargetSet).toContain("| resilience suite on the sim, the whole suite, up to 4 side by side (2 scenarios, 1 passed) | 406 s first start");
    expect(withTargetSet).toContain(
      "| resilience suite on the sim, the 9 scenarios the 3-minute target was set for, up to 4 side by side (1 scenarios, 1 passed) | 150 s first start → last end (target ≤ 180 s: 0.83× of it); the whole command 160 s. Per scenario: broker-crash 44 s |",
    );
    expect(table).toContain("| air-gapped kind: `lab up` (create → Ready, images loaded, Kafka, Argo) | 72 s |");
    expect(table.split("\n")).toHaveLength(2 + 6 + 3 + 1 + 4);
  });

  it("names the command that measures what is missing", () => {
    const table = renderMeasuredTable({});
    for (const command of ["make bench-lab", "make bench-healer", "make bench-suite", "make test-kind"]) expect(table).toContain(`not measured yet: run \`${command}\``);
  });

  it("replaces only the block between the markers, and says so when they are missing", () => {
    const readme = `intro\n${BEGIN_MARKER}\nold table\n${END_MARKER}\noutro\n`;
    expect(replaceMeasured(readme, "new")).toBe(`intro\n${BEGIN_MARKER}\nnew\n${END_MARKER}\noutro\n`);
    expect(() => replaceMeasured("no markers", "new")).toThrow(/no "<!-- measured:begin/);
  });

  it("is what the README holds between its markers", async () => {
    const readme = await fs.readFile(README, "utf8");
    expect(readme).toContain(BEGIN_MARKER);
    expect(readme).toContain(END_MARKER);
  });

  it("reads the figure files of a directory, missing ones as undefined", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-figures-"));
    await fs.writeFile(path.join(dir, "suite.json"), JSON.stringify(FIGURES.suite));
    const figures = await readAllFigures(dir);
    expect(figures.suite?.suiteSeconds).toBe(406);
    expect(figures.lab).toBeUndefined();
    expect(figures.kind).toBeUndefined();
  });
});
