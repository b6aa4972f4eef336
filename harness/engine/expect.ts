/**
 * Then: the expectations. They start when the faults phase starts, so they can watch the fault window
 * (`during`, `since: <fault>`), and are judged once the faults are reverted. If the faults did not
 * complete, nothing is judged: each expectation is reported skipped with what it had seen.
 */
import type { ExpectationResult } from "../../reports/results/scenario-result.ts";
import { findExpectation } from "../catalog.ts";
import { AbortedError } from "../core/clock.ts";
import type { ExpectationContext, ExpectationOutcome } from "../expectations/expectation.ts";
import type { ScenarioRun } from "./run-state.ts";

export interface RunningExpectations {
  outcomes: Promise<ExpectationResult>[];
  /** Stops every expectation still watching (the run stopped, or the faults did not complete). */
  stop(): void;
  /** The run's abort no longer reaches them (they have all settled). */
  detach(): void;
}

export function startExpectations(run: ScenarioRun, faultsStopped: boolean): RunningExpectations {
  const expectations = new AbortController();
  const stop = () => expectations.abort(new AbortedError("the run stopped"));
  run.signal.addEventListener("abort", stop, { once: true });
  const outcomes = faultsStopped ? [] : run.spec.expect.map((entry, index) => evaluate(run, entry, index, expectations.signal));
  return { outcomes, stop, detach: () => run.signal.removeEventListener("abort", stop) };
}

async function evaluate(run: ScenarioRun, entry: ScenarioRun["spec"]["expect"][number], index: number, signal: AbortSignal): Promise<ExpectationResult> {
  const expectation = findExpectation(run.catalog, entry.kind).create(entry.params);
  const ctx: ExpectationContext = {
    ...run.probeContext(signal),
    reference: (since) => run.references.get(since ?? "faults")?.promise ?? Promise.reject(new Error(`unknown reference "${since}"`)),
    faultWindow: run.faultWindow.promise,
    scenarioDeadline: run.deadline,
    recordSample: (sample) =>
      run.timeline.record({ kind: "probe", probe: `expect[${index}] ${entry.kind}`, outcome: sample.outcome, value: sample.value, detail: sample.detail, at: sample.at }),
  };
  let outcome: ExpectationOutcome;
  try {
    outcome = await expectation.evaluate(ctx);
  } catch (error) {
    outcome = { verdict: "broken", message: `the expectation itself failed: ${(error as Error).message}` };
  }
  return { index, kind: entry.kind, description: expectation.describe(), ...outcome };
}

export async function judgeExpectations(run: ScenarioRun, running: RunningExpectations, faultsCompleted: boolean): Promise<void> {
  run.enterPhase("expect");
  if (!faultsCompleted) running.stop();
  const outcomes = await Promise.all(running.outcomes);
  running.detach();
  for (const outcome of outcomes) {
    if (!faultsCompleted) {
      run.expectationResults.push({ ...outcome, verdict: "skipped", message: `not judged: the faults did not complete (${outcome.message})` });
      continue;
    }
    run.expectationResults.push(outcome);
    if (outcome.verdict !== "passed") run.fail(outcome.verdict, `expect[${outcome.index}] ${outcome.kind}`, `${outcome.description}: ${outcome.message}`);
  }
  if (faultsCompleted && run.stopReason === "interrupted") run.fail("broken", "expect", "interrupted before every expectation was decided");
}
