import { describe, expect, it } from "vitest";
import { combineScenarioVerdict, exitCodeFor, type VerdictReason } from "./verdict.ts";

const reason = (verdict: VerdictReason["verdict"]): VerdictReason => ({ verdict, source: "x", message: "m" });

describe("verdicts", () => {
  it("maps a scenario's parts to one verdict: broken > fault inconclusive > failed > no data > passed", () => {
    expect(combineScenarioVerdict({ faultsInconclusive: false, reasons: [] })).toBe("passed");
    expect(combineScenarioVerdict({ faultsInconclusive: false, reasons: [reason("failed"), reason("broken")] })).toBe("broken");
    expect(combineScenarioVerdict({ faultsInconclusive: true, reasons: [reason("failed"), reason("inconclusive")] })).toBe("inconclusive");
    expect(combineScenarioVerdict({ faultsInconclusive: false, reasons: [reason("inconclusive"), reason("failed")] })).toBe("failed");
    expect(combineScenarioVerdict({ faultsInconclusive: false, reasons: [reason("inconclusive")] })).toBe("inconclusive");
    expect(combineScenarioVerdict({ faultsInconclusive: false, reasons: [reason("skipped")] })).toBe("skipped");
  });

  it("maps a run's verdicts to the CLI exit code (0 passed, 1 failed, 3 broken/inconclusive)", () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor(["passed", "skipped"])).toBe(0);
    expect(exitCodeFor(["passed", "failed", "broken"])).toBe(1);
    expect(exitCodeFor(["passed", "inconclusive"])).toBe(3);
    expect(exitCodeFor(["broken"])).toBe(3);
  });
});
