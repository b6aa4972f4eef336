/**
 * When, part two: the faults are injected one after another. Each must show evidence that it took
 * effect (else inconclusive), lasts its duration while its module watches that the effect holds, and is
 * reverted from the journal as soon as it ends, whatever happened. The first fault that does not
 * complete stops the rest. Then the fault window (first injection to last revert) is closed for the
 * expectations that sample over it.
 */
import { UnsupportedCapabilityError } from "../../cluster/provider.ts";
import type { FaultResult } from "../../reports/results/scenario-result.ts";
import { findFault } from "../catalog.ts";
import { SafetyViolationError } from "../core/safety.ts";
import { SelectionError } from "../core/selection.ts";
import type { FaultWindow } from "../expectations/expectation.ts";
import { NoEvidenceError, UnsupportedFaultError, type FaultContext, type FaultSpec } from "../faults/fault.ts";
import type { ScenarioRun } from "./run-state.ts";

type Spec = FaultSpec<unknown, unknown>;

/** Injects the faults in order; true when every one completed. */
export async function injectFaults(run: ScenarioRun, specs: readonly Spec[]): Promise<boolean> {
  for (const [index, spec] of specs.entries()) {
    const result = run.faultResults[index]!;
    try {
      await injectOne(run, spec, result);
    } catch (error) {
      judgeFailedFault(run, spec, result, error);
      return false;
    } finally {
      await revertOne(run, spec, result);
    }
  }
  return true;
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

async function injectOne(run: ScenarioRun, spec: Spec, result: FaultResult): Promise<void> {
  const ctx = faultContext(run, spec, result);
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
    if (run.clock.now() < until) await run.clock.sleep(until - run.clock.now(), run.signal);
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
    start: windows[0]?.injectedAt ?? faultsPhaseStart,
    end: Math.max(faultsPhaseStart, ...windows.map((window) => window.revertedAt ?? run.clock.now())),
    faults: windows,
  });
}
