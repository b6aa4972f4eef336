/**
 * After the faults, however the run went: every fault mutation still in the journal is reverted (a
 * fault reverts itself when it ends; this catches what an interruption left). Then, if the faults ran
 * to the end and nothing broke, the steady state must be back.
 */
import type { ScenarioRun } from "./run-state.ts";
import { checkSteadyState } from "./steady-state.ts";

export async function revertFaults(run: ScenarioRun): Promise<void> {
  run.enterPhase("revert");
  await run.replay((entry) => entry.owner === "fault", "revert");
}

export async function checkSteadyStateAfter(run: ScenarioRun): Promise<void> {
  const judgeable = run.reachedFaults && !run.signal.aborted && !run.hasReason("broken", "skipped") && !run.faultsInconclusive;
  if (!judgeable || run.spec.steadyState.length === 0) return;
  run.enterPhase("steadyStateAfter");
  await checkSteadyState(run, "after");
}
