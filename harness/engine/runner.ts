/**
 * The scenario runner: setup → steady state → plan → faults (each with evidence that it landed, else
 * inconclusive) while expectations watch with typed timing → revert → steady state again → teardown →
 * leak audit → verdict. One module per phase (setup, steady-state, plan, inject, expect, revert,
 * teardown, leak-audit) over one run state (run-state.ts); the runner
 * only orders them. It knows faults, probes, expectations and setup actions only through their
 * interfaces and the catalog.
 *
 * Whatever happens — a failure, SIGINT/SIGTERM (the `signal` dep), the scenario's timeout — every
 * journaled mutation is reverted before `runScenario` returns; what cannot be reverted stays in the
 * journal for `chaoslab cleanup` and makes the verdict `broken`.
 */
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import type { LoadedScenario } from "../scenario/loader.ts";
import { judgeExpectations, startExpectations } from "./expect.ts";
import { closeFaultWindow, injectFaults } from "./inject.ts";
import { auditRun } from "./leak-audit.ts";
import { planFaults } from "./plan.ts";
import { checkSteadyStateAfter, revertFaults } from "./revert.ts";
import { runSetup, startRecorders } from "./setup.ts";
import { checkSteadyState } from "./steady-state.ts";
import { closeJournal, tearDown } from "./teardown.ts";
import { faultSpecOf } from "./plan-fault.ts";
import { ScenarioRun, type ScenarioRunDeps, type ScenarioRunOptions } from "./run-state.ts";

export async function runScenario(loaded: LoadedScenario, deps: ScenarioRunDeps, options: ScenarioRunOptions = {}): Promise<ScenarioResult> {
  const run = await ScenarioRun.start(loaded, deps, options);
  try {
    await startRecorders(run);
    await given(run);
    if (run.reasons.length === 0) await whenThen(run);
  } finally {
    run.detachCallerSignal();
    await revertFaults(run);
    await checkSteadyStateAfter(run);
    await tearDown(run);
    await auditRun(run);
    await run.close();
  }
  const journalRemoved = await closeJournal(run);
  return run.result(journalRemoved);
}

/** Setup, then the steady state the faults will disturb. */
async function given(run: ScenarioRun): Promise<void> {
  await runSetup(run);
  if (run.reasons.length > 0) return;
  run.enterPhase("steadyState");
  await checkSteadyState(run, "before");
  const early = run.stoppedEarly("the steady-state check");
  if (early && !run.hasReason("broken")) run.fail("broken", "steadyState", early);
}

/** Plan every fault, start the expectations, inject, close the fault window, judge. */
async function whenThen(run: ScenarioRun): Promise<void> {
  run.enterPhase("faults");
  run.reachedFaults = true;
  const faultsPhaseStart = run.clock.now();
  const specs = run.spec.faults.map(faultSpecOf);
  await planFaults(run, specs);

  const faultsStopped = run.reasons.length > 0;
  if (specs.length === 0 || faultsStopped) run.references.get("faults")!.resolve(faultsPhaseStart);
  const expectations = startExpectations(run, faultsStopped);
  const faultsCompleted = !faultsStopped && (await injectFaults(run, specs));
  closeFaultWindow(run, faultsPhaseStart);
  await judgeExpectations(run, expectations, faultsCompleted);
}
