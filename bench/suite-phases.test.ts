import { describe, expect, it } from "vitest";
import { suitePhases } from "./suite-phases.ts";

const at = (name: string, startS: number, endS: number) => ({ name, startedAtMs: startS * 1000, finishedAtMs: endS * 1000 });

describe("where the suite's time goes", () => {
  it("sums the scenarios that ran alone and takes the span of the ones that overlapped", () => {
    const phases = suitePhases([at("broker-crash", 0, 55), at("kafka-latency", 55, 183), at("a", 183, 230), at("b", 184, 250), at("c", 231, 260)]);
    expect(phases.alone).toEqual({ scenarios: ["broker-crash", "kafka-latency"], seconds: 183 });
    expect(phases.concurrent).toEqual({ scenarios: ["a", "b", "c"], seconds: 77, peak: 2 });
  });

  it("counts a scenario that starts as another ends as not overlapping it", () => {
    const phases = suitePhases([at("x", 0, 10), at("y", 10, 20)]);
    expect(phases.alone.scenarios).toEqual(["x", "y"]);
    expect(phases.concurrent).toEqual({ scenarios: [], seconds: 0, peak: 0 });
  });

  it("finds the peak where three runs overlap", () => {
    expect(suitePhases([at("a", 0, 30), at("b", 5, 25), at("c", 10, 40), at("d", 35, 50)]).concurrent.peak).toBe(3);
  });
});
