/**
 * Given, part two, and the check after recovery: every steady-state probe must hold within its timeout.
 * Before the faults a miss means the lab was not ready (broken: nothing after it would mean anything);
 * after the faults it means the system did not come back (failed, or inconclusive without data).
 */
import { findProbe } from "../catalog.ts";
import { pollTimedCondition } from "../timing/timing.ts";
import type { ScenarioRun } from "./run-state.ts";

export async function checkSteadyState(run: ScenarioRun, when: "before" | "after"): Promise<boolean> {
  let held = true;
  for (const [index, entry] of run.spec.steadyState.entries()) {
    const probe = findProbe(run.catalog, entry.probe.kind).create(entry.probe.params);
    const ctx = run.probeContext(run.signal);
    const now = run.clock.now();
    const result = await pollTimedCondition(() => probe.sample(ctx), { within: entry.timeout, onNoData: "inconclusive" }, {
      clock: run.clock,
      signal: run.signal,
      reference: Promise.resolve(now),
      scenarioDeadline: run.deadline,
      faultWindow: run.faultWindow.promise,
      onSample: (sample) =>
        run.timeline.record({ kind: "probe", probe: `steadyState[${index}] ${entry.probe.kind} (${when})`, outcome: sample.outcome, value: sample.value, detail: sample.detail, at: sample.at }),
    });
    run.steadyState.push({ when, index, probe: entry.probe.kind, description: probe.describe(), verdict: result.verdict, message: result.message });
    if (result.verdict !== "passed") {
      held = false;
      const source = `steadyState[${index}] ${entry.probe.kind}`;
      if (when === "before") run.fail("broken", source, `steady state not met before injection: ${probe.describe()}: ${result.message}`);
      else run.fail(result.verdict === "failed" ? "failed" : "inconclusive", source, `steady state not back after recovery: ${probe.describe()}: ${result.message}`);
    }
  }
  return held;
}
