import fs from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { FakeLab } from "../testing/fake-lab.ts";
import { runInWorld as run, World } from "../testing/runner-world.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { catalogReverters, RevertJournal } from "../core/journal.ts";
import { exitCodeFor } from "../../reports/results/verdict.ts";

const standard = `  timeout: 10s
  seed: 7
  setup:
    - fake.jobs: {name: loader-1}
  steadyState:
    - probe: {fake.flag: {flag: healthy}}
      timeout: 500ms
  faults:
    - type: fake-fault
      name: break-it
      target: {id: net}
      duration: 150ms
  expect:
    - fake.flag: {flag: healthy, since: break-it, within: 1s, pollEvery: 50ms}
`;

describe("the scenario runner", () => {
  it("runs setup → steady state → fault with evidence → expectation → revert → teardown, and passes", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result, ports, journalFiles } = await run(world, standard);
    expect(result.reasons).toEqual([]);
    expect(result.verdict).toBe("passed");
    expect(exitCodeFor([result.verdict])).toBe(0);
    expect(result.seed).toBe(7);
    expect(result.phases.map((phase) => phase.phase)).toEqual(["setup", "steadyState", "faults", "expect", "revert", "steadyStateAfter", "teardown", "leakAudit"]);
    const fault = result.faults[0]!;
    expect(fault.verdict).toBe("confirmed");
    expect(fault.revertedAt! - fault.injectedAt!).toBeGreaterThanOrEqual(150);
    expect(result.expectations[0]).toMatchObject({ verdict: "passed", recovery: { reference: fault.injectedAt } });
    expect(result.expectations[0]!.recovery!.mttrMs).toBeGreaterThanOrEqual(50);
    expect(world.active.size).toBe(0);
    expect(world.journalSeenBeforeMutation).toEqual([true]);
    expect(ports.kube.objects).toEqual([]);
    expect(result.reverts.reverted).toBe(2);
    expect(journalFiles).toEqual([]);
    expect(result.steadyState.map((check) => `${check.when}:${check.verdict}`)).toEqual(["before:passed", "after:passed"]);
    expect(result.timeline.entries.filter((entry) => entry.kind === "fault").map((entry) => (entry as { event: string }).event)).toEqual([
      "planned",
      "journaled",
      "injected",
      "effect-confirmed",
      "reverted",
    ]);
  });

  it("is inconclusive when the fault shows no effect, and still reverts it", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result } = await run(world, standard.replace("target: {id: net}", "target: {id: net}\n      params: {evidence: false}"));
    expect(result.verdict).toBe("inconclusive");
    expect(exitCodeFor([result.verdict])).toBe(3);
    expect(result.faults[0]!.verdict).toBe("inconclusive");
    expect(result.expectations[0]!.verdict).toBe("skipped");
    expect(world.active.size).toBe(0);
  });

  it("fails when the system does not recover in time", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result } = await run(world, standard.replace("target: {id: net}", "target: {id: net}\n      params: {healAfterMs: 5000}").replace("within: 1s", "within: 300ms"));
    expect(result.verdict).toBe("failed");
    expect(exitCodeFor([result.verdict])).toBe(1);
    expect(result.reasons).toEqual([
      expect.objectContaining({ verdict: "failed", source: "expect[0] fake.flag", message: expect.stringContaining("did not hold by +300ms") }),
      expect.objectContaining({ verdict: "failed", source: "steadyState[0] fake.flag", message: expect.stringContaining("steady state not back after recovery") }),
    ]);
    expect(world.active.size).toBe(0);
  });

  it("is broken when the steady state does not hold before injection, and injects nothing", async () => {
    const world = new World();
    world.flags.set("healthy", false);
    const { result, ports } = await run(world, standard);
    expect(result.verdict).toBe("broken");
    expect(result.reasons[0]!.message).toContain("steady state not met before injection");
    expect(result.faults[0]!.verdict).toBe("not-run");
    expect(world.journalSeenBeforeMutation).toEqual([]);
    expect(ports.kube.objects).toEqual([]);
  });

  it("keeps the journal when a revert fails, and a later replay (chaoslab cleanup) finishes it", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    world.failRevert = true;
    const { result, journalFiles, catalog, ports } = await run(world, standard);
    expect(result.verdict).toBe("broken");
    expect(result.reasons.map((reason) => reason.source)).toContain("revert break-it");
    expect(journalFiles).toHaveLength(1);
    expect(world.active.has("net")).toBe(true);

    world.failRevert = false;
    const [found] = await RevertJournal.list(world.journalDir);
    expect(found!.writerAlive).toBe(false);
    const report = await found!.journal!.replay(catalogReverters(catalog as never), { lab: new FakeLab(), kube: ports.kube, clock: systemClock, log: silentLog });
    expect(report.reverted.map((entry) => entry.description)).toEqual(["deactivate net"]);
    expect(await found!.journal!.close()).toEqual({ removed: true });
    expect(world.active.size).toBe(0);
    expect(await fs.readdir(world.journalDir)).toEqual([]);
  });

  it("reverts and reports broken when interrupted (SIGINT) in the middle of a fault", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(new Error("SIGINT")), 200);
    const started = Date.now();
    const { result, journalFiles } = await run(world, standard.replace("duration: 150ms", "duration: 9s"), { signal: interrupt.signal });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.verdict).toBe("broken");
    expect(result.reasons[0]!.message).toBe("interrupted during fault break-it");
    expect(world.active.size).toBe(0);
    expect(journalFiles).toEqual([]);
  });

  it("is broken when the scenario's timeout expires during a fault", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result } = await run(world, standard.replace("timeout: 10s", "timeout: 400ms").replace("duration: 150ms", "duration: 400ms"));
    expect(result.verdict).toBe("broken");
    expect(result.reasons[0]!.message).toContain("timeout of 400ms expired during fault break-it");
    expect(world.active.size).toBe(0);
  });

  it("reports leaks found by the audit as broken", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    world.active.add("left-over-from-a-crash");
    const { result } = await run(world, standard);
    expect(result.verdict).toBe("broken");
    expect(result.leaks).toEqual([{ what: "left-over-from-a-crash still active", fix: "cleanup" }]);
  });

  it("a probe with no data is inconclusive, never passed", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result } = await run(world, standard.replace("- fake.flag: {flag: healthy, since: break-it, within: 1s, pollEvery: 50ms}", "- fake.flag: {flag: missing, within: 300ms, pollEvery: 50ms}"));
    expect(result.verdict).toBe("inconclusive");
    expect(result.expectations[0]).toMatchObject({ verdict: "inconclusive", message: expect.stringContaining("no data") });
  });

  it("records a generated seed when the scenario has none", async () => {
    const world = new World();
    world.flags.set("healthy", true);
    const { result } = await run(world, standard.replace("  seed: 7\n", ""));
    expect(Number.isInteger(result.seed)).toBe(true);
    expect(result.seed).toBeGreaterThan(0);
    expect(result.fingerprint).toMatchObject({ provider: "sim", components: { kafka: "4.3.1" }, node: process.version });
  });
});
