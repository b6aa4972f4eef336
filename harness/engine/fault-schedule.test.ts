import { describe, expect, it } from "vitest";
import { parseScenario } from "../scenario/loader.ts";
import { runInWorld, scenarioText, testCatalog, World } from "../testing/runner-world.ts";
import { describeFaultStart, faultStartOf } from "./fault-schedule.ts";

/** Two faults: `outer` for `outerFor`, and `inner` starting `by` after outer took effect. */
const overlapping = (options: { outerFor?: string; innerParams?: string; third?: boolean } = {}) => `  timeout: 10s
  faults:
    - type: fake-fault
      name: outer
      target: {id: a}
      duration: ${options.outerFor ?? "500ms"}
    - type: fake-fault
      name: inner
      target: {id: b}${options.innerParams ? `\n      params: ${options.innerParams}` : ""}
      after: {fault: outer, by: 100ms}
      duration: 150ms
${options.third ? "    - type: fake-fault\n      name: after-inner\n      target: {id: c}\n      duration: 50ms\n" : ""}`;

function faultEvents(result: Awaited<ReturnType<typeof runInWorld>>["result"]) {
  return result.timeline.entries.flatMap((entry) => (entry.kind === "fault" ? [`${entry.fault}:${entry.event}`] : []));
}

describe("fault composition (after:)", () => {
  it("reads after: as the start of each fault, and says it in words for plan", () => {
    const loaded = parseScenario(scenarioText(overlapping({ third: true }).replace("      name: outer\n", "      name: outer\n      after: 2s\n")), "/tmp/s.yaml", testCatalog(new World()));
    if (!loaded.ok) throw new Error("parse");
    const faults = loaded.scenario.spec.faults;
    expect(faults.map((_, index) => describeFaultStart(faultStartOf(faults, index)))).toEqual([
      "2s into the faults phase",
      "100ms after outer took effect",
      "after inner is reverted",
    ]);
  });

  it("overlaps faults: the inner one is injected inside the outer window and each reverts when it ends", async () => {
    const world = new World();
    const { result } = await runInWorld(world, overlapping());
    expect(result.verdict).toBe("passed");
    const [outer, inner] = result.faults;
    expect(inner!.injectedAt! - outer!.injectedAt!).toBeGreaterThanOrEqual(100);
    expect(inner!.injectedAt!).toBeLessThan(outer!.revertedAt!);
    expect(inner!.revertedAt!).toBeLessThan(outer!.revertedAt!);
    expect(world.reverted).toEqual(["b", "a"]);
    expect(faultEvents(result)).toContain("inner:scheduled");
    expect(world.active.size).toBe(0);
  });

  it("the first fault that does not complete cuts the others short and everything reverts in reverse order of injection", async () => {
    const world = new World();
    const started = Date.now();
    const { result } = await runInWorld(world, overlapping({ outerFor: "5s", innerParams: "{evidence: false}", third: true }));
    expect(Date.now() - started).toBeLessThan(3_000); // outer did not run its 5 s
    expect(result.verdict).toBe("inconclusive");
    const [outer, inner, third] = result.faults;
    expect(inner).toMatchObject({ verdict: "inconclusive" });
    expect(outer).toMatchObject({ verdict: "confirmed", message: expect.stringContaining("cut short: fault inner did not complete") });
    expect(third!.verdict).toBe("not-run");
    expect(world.reverted).toEqual(["b", "a"]);
    expect(result.reasons.map((reason) => reason.source)).toEqual(["fault inner"]);
    expect(faultEvents(result)).toEqual(expect.arrayContaining(["outer:stopped", "inner:no-evidence", "inner:reverted", "outer:reverted"]));
    expect(world.active.size).toBe(0);
  });

  it("an interrupt while two faults overlap reverts both, latest first, and is broken", async () => {
    const world = new World();
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(new Error("SIGINT")), 250);
    const { result, journalFiles } = await runInWorld(world, overlapping({ outerFor: "5s" }).replace("duration: 150ms", "duration: 5s"), { signal: interrupt.signal });
    expect(result.verdict).toBe("broken");
    expect(world.reverted).toEqual(["b", "a"]);
    expect(world.active.size).toBe(0);
    expect(journalFiles).toEqual([]);
  });

  it("faults with offsets into the phase run side by side; the fault window spans them all", async () => {
    const world = new World();
    const spec = `  timeout: 10s
  faults:
    - {type: fake-fault, name: one, target: {id: a}, duration: 300ms, after: 0s}
    - {type: fake-fault, name: two, target: {id: b}, duration: 100ms, after: 50ms}
`;
    const { result } = await runInWorld(world, spec);
    expect(result.verdict).toBe("passed");
    const [one, two] = result.faults;
    expect(two!.injectedAt! - one!.injectedAt!).toBeGreaterThanOrEqual(40);
    expect(two!.revertedAt!).toBeLessThan(one!.revertedAt!);
    expect(world.reverted).toEqual(["b", "a"]);
  });

  it("rejects an after: that names a later fault, itself or nothing, with the earlier faults listed", () => {
    const catalog = testCatalog(new World());
    const parse = (after: string) => parseScenario(scenarioText(`  faults:
    - {type: fake-fault, name: first, target: {id: a}, duration: 1s}
    - {type: fake-fault, name: second, target: {id: b}, duration: 1s, after: ${after}}
    - {type: fake-fault, name: third, target: {id: c}, duration: 1s}
`), "/tmp/s.yaml", catalog);
    const messageOf = (after: string) => {
      const loaded = parse(after);
      return loaded.ok ? "ok" : loaded.diagnostics.map((diagnostic) => diagnostic.message).join("; ");
    };
    expect(messageOf("{fault: first, by: 1s}")).toBe("ok");
    expect(messageOf("{fault: third}")).toContain("third comes later in the list; name an earlier fault (earlier faults: first)");
    expect(messageOf("{fault: second}")).toContain("a fault cannot start after itself");
    expect(messageOf("{fault: frist}")).toContain('no fault frist in this scenario; did you mean "first"?');
    expect(messageOf("soon")).not.toBe("ok");
  });
});
