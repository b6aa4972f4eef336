/**
 * When, part one: every fault is planned before any is injected, so a safety violation or a target that
 * cannot be resolved stops the run before any harm. Nothing to hit is inconclusive (the fault could not
 * take effect, which proves nothing); a plan the policy forbids is broken and recorded as a violation.
 */
import { SafetyViolationError } from "../core/safety.ts";
import { SelectionError } from "../core/selection.ts";
import type { FaultSpec } from "../faults/fault.ts";
import { planFault } from "./plan-fault.ts";
import type { ScenarioRun } from "./run-state.ts";

export async function planFaults(run: ScenarioRun, specs: readonly FaultSpec<unknown, unknown>[]): Promise<void> {
  for (const [index, spec] of specs.entries()) {
    const result = run.faultResults[index]!;
    const record = (event: "planned" | "no-evidence", detail: string, data?: Record<string, unknown>) =>
      run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event, detail, ...(data ? { data } : {}) });
    try {
      result.plan = await planFault(run.catalog, spec, run.planScope());
      record("planned", result.plan.targets.map((target) => target.id).join(", "), { plan: result.plan });
      if (!result.plan.safety.ok) {
        result.verdict = "broken";
        const refused = new SafetyViolationError(spec.name, result.plan.safety.violations).message;
        run.safetyViolations.push(refused);
        run.fail("broken", `fault ${spec.name}`, refused);
      }
    } catch (error) {
      result.message = (error as Error).message;
      if (error instanceof SelectionError) {
        result.verdict = "inconclusive";
        run.faultsInconclusive = true;
        record("no-evidence", result.message);
        run.fail("inconclusive", `fault ${spec.name}`, `no target: ${result.message}`);
      } else {
        result.verdict = "broken";
        run.fail("broken", `fault ${spec.name}`, `cannot plan: ${result.message}`);
      }
    }
  }
}
