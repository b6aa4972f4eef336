/**
 * When, part two: the faults are injected on their schedule (fault-schedule.ts): one after another
 * unless a fault's `after:` lets it start at an offset and overlap others. Each must show evidence that
 * it took effect (else inconclusive), lasts its duration while its module watches that the effect
 * holds, and is reverted from the journal as soon as it ends. The first fault that does not complete
 * stops the rest: faults not started yet never start, faults in effect are cut short, and everything
 * still in effect is reverted in reverse order of injection. Then the fault window (first injection to
 * last revert) is closed for the expectations that sample over it.
 */
import { UnsupportedCapabilityError } from "../../cluster/provider.ts";
import type { FaultResult } from "../../reports/results/scenario-result.ts";
import { findFault } from "../catalog.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { SelectionError } from "../core/selection.ts";
import type { FaultWindow } from "../expectations/expectation.ts";
import { NoEvidenceError, UnsupportedFaultError, type FaultContext, type FaultSpec } from "../faults/fault.ts";
import { describeFaultStart, faultStartOf, type FaultStart } from "./fault-schedule.ts";
import type { ScenarioRun } from "./run-state.ts";

type Spec = FaultSpec<unknown, unknown>;

/** Why a fault in effect stopped before its time: another fault did not complete. */
class StoppedBySiblingError extends Error {
  override name = "StoppedBySiblingError";
}

/** Injects the faults on their schedule; true when every one completed. */
export async function injectFaults(run: ScenarioRun, specs: readonly Spec[]): Promise<boolean> {
  const phaseStart = run.clock.now();
  // Aborted by the run (interrupt, timeout) or by the first fault that does not complete.
  const stop = new AbortController();
  const onRunAbort = () => stop.abort(run.signal.reason);
  if (run.signal.aborted) onRunAbort();
  else run.signal.addEventListener("abort", onRunAbort, { once: true });
  const done: Promise<void>[] = [];
  const started = new Set<number>();
  let allCompleted = true;
  const runOne = async (index: number) => {
    const spec = specs[index]!;
    const result = run.faultResults[index]!;
    const start = faultStartOf(run.spec.faults, index);
    if (!(await waitForStart(run, start, phaseStart, done, stop.signal))) return;
    started.add(index);
    if (start.kind !== "after-previous") {
      run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "scheduled", detail: `started ${describeFaultStart(start)}` });
    }
    try {
      await injectOne(run, spec, result, stop.signal);
    } catch (error) {
      if (stop.signal.reason instanceof StoppedBySiblingError && !run.signal.aborted) {
        // Not this fault's failure: the one that failed carries the verdict.
        result.message = `cut short: ${(stop.signal.reason as Error).message}`;
        run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "stopped", detail: result.message });
      } else {
        judgeFailedFault(run, spec, result, error);
        allCompleted = false;
        stop.abort(new StoppedBySiblingError(`fault ${spec.name} did not complete`));
      }
      return; // reverted below, in reverse order of injection with the others still in effect
    }
    await revertOne(run, spec, result);
  };
  for (const index of specs.keys()) done.push(runOne(index));
  // Settle every fault before reverting what is left: none may still be injecting behind the reverts.
  const outcomes = await Promise.allSettled(done);
  run.signal.removeEventListener("abort", onRunAbort);
  await revertInReverse(run, specs, started);
  const crashed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (crashed) throw crashed.reason;
  return allCompleted && !stop.signal.aborted;
}

/** Waits until the fault's start is due; false when the faults were stopped first (it never starts). */
async function waitForStart(run: ScenarioRun, start: FaultStart, phaseStart: number, done: readonly Promise<void>[], signal: AbortSignal): Promise<boolean> {
  const stopped = new Promise<false>((resolve) => {
    if (signal.aborted) resolve(false);
    signal.addEventListener("abort", () => resolve(false), { once: true });
  });
  let startAt: number;
  if (start.kind === "after-previous") {
    const previous = done.at(-1);
    if (previous && !(await Promise.race([previous.then(() => true), stopped]))) return false;
    return !signal.aborted;
  } else if (start.kind === "phase") {
    startAt = phaseStart + start.offsetMs;
  } else {
    const injectedAt = await Promise.race([run.references.get(start.fault)!.promise, stopped]);
    if (injectedAt === false) return false;
    startAt = injectedAt + start.offsetMs;
  }
  if (run.clock.now() < startAt) await run.clock.sleep(startAt - run.clock.now(), signal).catch(() => undefined);
  return !signal.aborted;
}

/** Every fault still holding journaled mutations, the latest injected first (a fault that failed mid-inject counts as latest). */
async function revertInReverse(run: ScenarioRun, specs: readonly Spec[], started: ReadonlySet<number>): Promise<void> {
  const pending = [...started]
    .map((index) => ({ spec: specs[index]!, result: run.faultResults[index]! }))
    .filter(({ result }) => result.revertedAt === undefined)
    .sort((a, b) => (b.result.injectedAt ?? Infinity) - (a.result.injectedAt ?? Infinity));
  for (const { spec, result } of pending) await revertOne(run, spec, result);
}

function faultContext(run: ScenarioRun, spec: Spec, result: FaultResult): FaultContext<unknown> {
  const markInjected = (detail: string) => {
    if (result.injectedAt !== undefined) return;
    result.injectedAt = run.clock.now();
    run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "injected", detail });
    run.references.get(spec.name)!.resolve(result.injectedAt);
    run.references.get("faults")!.resolve(result.injectedAt);
  };
  return {
    ...run.base(),
    ...run.planContext(`fault:${spec.name}`),
    kube: run.ports.kube,
    spec,
    markInjected,
    journal: {
      record: async (revertAction, description) => {
        await run.journal.record({ owner: "fault", type: spec.type, element: spec.name, description, action: revertAction }, run.clock.now());
        run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "journaled", detail: description });
      },
    },
  };
}

async function injectOne(run: ScenarioRun, spec: Spec, result: FaultResult, signal: AbortSignal): Promise<void> {
  const ctx = { ...faultContext(run, spec, result), signal };
  const callStartedAt = run.clock.now();
  const fault = findFault(run.catalog, spec.type).create(spec);
  const evidence = await fault.inject(ctx);
  ctx.markInjected(`inject of ${spec.type} returned`);
  if (result.injectedAt === undefined) result.injectedAt = callStartedAt;
  result.evidence = evidence;
  result.effectConfirmedAt = evidence.effectConfirmedAt;
  result.verdict = "confirmed";
  run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "effect-confirmed", detail: evidence.summary, data: evidence.observations, at: evidence.effectConfirmedAt });
  if (spec.durationMs !== undefined) {
    const until = result.injectedAt + spec.durationMs;
    if (fault.watch) await fault.watch(ctx, until);
    if (run.clock.now() < until) await run.clock.sleep(until - run.clock.now(), signal);
  }
}

/** Why a fault did not complete decides the verdict: no evidence → inconclusive, no support → skipped, else broken. */
function judgeFailedFault(run: ScenarioRun, spec: Spec, result: FaultResult, error: unknown): void {
  const message = (error as Error).message;
  const source = `fault ${spec.name}`;
  result.message = message;
  if (error instanceof NoEvidenceError || error instanceof SelectionError) {
    result.verdict = "inconclusive";
    // An effect confirmed at first and then lost: keep when it was confirmed, but it is not "effective".
    if (result.effectConfirmedAt !== undefined) result.evidence = { ...result.evidence!, summary: `effect lost: ${message} (first confirmed: ${result.evidence?.summary ?? "?"})` };
    run.faultsInconclusive = true;
    run.timeline.record({ kind: "fault", fault: spec.name, type: spec.type, event: "no-evidence", detail: message, data: error instanceof NoEvidenceError ? error.observations : undefined });
    run.fail("inconclusive", source, error instanceof SelectionError ? `no target: ${message}` : `no evidence that ${spec.type} took effect: ${message}`);
  } else if (error instanceof UnsupportedFaultError || error instanceof UnsupportedCapabilityError) {
    result.verdict = "skipped";
    run.fail("skipped", source, message);
  } else {
    result.verdict = "broken";
    const early = run.stoppedEarly(source);
    if (error instanceof SafetyViolationError) run.safetyViolations.push(message);
    const kind = error instanceof SafetyViolationError ? "" : "injecting failed: ";
    run.fail("broken", source, early ?? `${kind}${message}`);
  }
}

async function revertOne(run: ScenarioRun, spec: Spec, result: FaultResult): Promise<void> {
  const report = await run.replay((entry) => entry.owner === "fault" && entry.element === spec.name, `revert ${spec.name}`);
  result.revertedAt = run.clock.now();
  run.timeline.record({
    kind: "fault",
    fault: spec.name,
    type: spec.type,
    event: report.failed.length > 0 ? "revert-failed" : "reverted",
    detail: `${report.reverted.length} action(s) reverted${report.failed.length ? `, ${report.failed.length} failed` : ""}`,
  });
}

/** Settles every reference and the fault window: first injection (or the phase's start) to last revert. */
export function closeFaultWindow(run: ScenarioRun, faultsPhaseStart: number): void {
  const windows: FaultWindow[] = run.faultResults
    .filter((result) => result.injectedAt !== undefined)
    .map((result) => ({ fault: result.name, type: result.type, injectedAt: result.injectedAt!, revertedAt: result.revertedAt }));
  for (const [name, reference] of run.references) {
    if (!reference.settled) reference.reject(new Error(name === "faults" ? "no fault was injected" : `fault ${name} was never injected`));
  }
  run.faultWindow.resolve({
    start: windows.length > 0 ? Math.min(...windows.map((window) => window.injectedAt)) : faultsPhaseStart,
    end: Math.max(faultsPhaseStart, ...windows.map((window) => window.revertedAt ?? run.clock.now())),
    faults: windows,
  });
}
