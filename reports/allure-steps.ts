/**
 * The Allure steps of one scenario, mirroring its phases: setup, steady state, each fault with its
 * plan, evidence and what its targets went through, each expectation with its samples, revert, the
 * steady state after recovery, teardown and the leak audit. Built on allure-js-commons' result model;
 * attachments are written through the `attach` function the caller hands in.
 */
import { Stage, Status, type Attachment, type Parameter, type StepResult } from "allure-js-commons";
import type { ScenarioResult } from "./results/scenario-result.ts";
import type { TimelineEntry } from "./results/timeline.ts";

export type Attach = (name: string, content: unknown, type?: "application/json" | "image/svg+xml") => Promise<Attachment>;

type Entry = ScenarioResult["timeline"]["entries"][number];
type Times = { start: number; stop: number };
type Sample = { time: string; t: number; outcome: string; detail?: string; value?: unknown };

export const ofKind = <K extends TimelineEntry["kind"]>(entries: readonly Entry[], kind: K) =>
  entries.filter((entry): entry is Extract<Entry, { kind: K }> => entry.kind === kind);

/** Probe samples grouped by probe, in time order (what the timeline draws as ticks). */
export function probeSamples(entries: readonly Entry[], prefix = ""): Record<string, Sample[]> {
  const grouped: Record<string, Sample[]> = {};
  for (const sample of ofKind(entries, "probe")) {
    if (!sample.probe.startsWith(prefix)) continue;
    (grouped[sample.probe] ??= []).push({ time: sample.time, t: sample.t, outcome: sample.outcome, detail: sample.detail, value: sample.value });
  }
  return grouped;
}

/** A step's status from an element's verdict (fault verdicts included: confirmed, not-run). */
export const stepStatus = (verdict: string | undefined): Status =>
  verdict === undefined || verdict === "passed" || verdict === "confirmed"
    ? Status.PASSED
    : verdict === "failed"
      ? Status.FAILED
      : verdict === "skipped" || verdict === "not-run"
        ? Status.SKIPPED
        : Status.BROKEN;

function step(name: string, status: Status, times: Times, extra: Partial<StepResult> = {}): StepResult {
  return { name, status, stage: Stage.FINISHED, ...times, statusDetails: {}, steps: [], attachments: [], parameters: [], ...extra };
}

/** The name part of a planned target id: `streamforge/loader-1-abcde` → `loader-1-abcde`. */
const targetName = (id: string) => id.slice(id.lastIndexOf("/") + 1);

class ScenarioSteps {
  readonly entries: readonly Entry[];

  constructor(
    readonly result: ScenarioResult,
    readonly attach: Attach,
  ) {
    this.entries = result.timeline.entries;
  }

  window(name: string): Times {
    const phase = this.result.phases.find((candidate) => candidate.phase === name);
    return { start: phase?.startedAt ?? this.result.startedAt, stop: phase?.finishedAt ?? phase?.startedAt ?? this.result.startedAt };
  }

  setup(): StepResult {
    const { setup } = this.result;
    const window = this.window("setup");
    return step("Setup", setup.some((entry) => entry.error) ? Status.BROKEN : Status.PASSED, window, {
      steps: setup.map((entry) => step(`${entry.kind}: ${entry.description}`, entry.error ? Status.BROKEN : Status.PASSED, window, entry.error ? { statusDetails: { message: entry.error } } : {})),
    });
  }

  async steadyState(when: "before" | "after", phaseName: string, title: string): Promise<StepResult[]> {
    const items = this.result.steadyState.filter((check) => check.when === when);
    if (items.length === 0) return [];
    const missed = items.find((check) => check.verdict !== "passed");
    const worst = missed ? (when === "before" ? Status.BROKEN : stepStatus(missed.verdict)) : Status.PASSED;
    const samples = probeSamples(this.entries, "steadyState[");
    const checkSteps: StepResult[] = [];
    for (const check of items) {
      const own = Object.fromEntries(Object.entries(samples).filter(([probe]) => probe.startsWith(`steadyState[${check.index}] `) && probe.endsWith(`(${when})`)));
      checkSteps.push(
        step(`${check.probe}: ${check.description}`, stepStatus(check.verdict), this.window(phaseName), {
          statusDetails: { message: check.message },
          attachments: Object.keys(own).length > 0 ? [await this.attach(`probe samples of steadyState[${check.index}] (${when})`, own)] : [],
        }),
      );
    }
    return [step(title, worst, this.window(phaseName), { steps: checkSteps })];
  }

  async fault(fault: ScenarioResult["faults"][number]): Promise<StepResult> {
    const attachments: Attachment[] = [];
    if (fault.plan) attachments.push(await this.attach(`plan of ${fault.name}`, fault.plan));
    if (fault.evidence) attachments.push(await this.attach(`evidence of ${fault.name}`, fault.evidence));
    const targets = new Set((fault.plan?.targets ?? []).map((target) => targetName(target.id)));
    const ofTargets = {
      events: ofKind(this.entries, "k8s-event").filter((event) => targets.has(event.involvedObject.name)),
      objectChanges: ofKind(this.entries, "object").filter((change) => targets.has(change.name)),
      faultTimeline: ofKind(this.entries, "fault").filter((entry) => entry.fault === fault.name),
    };
    if (ofTargets.events.length + ofTargets.objectChanges.length + ofTargets.faultTimeline.length > 0) {
      attachments.push(await this.attach(`events of ${fault.name}'s targets`, ofTargets));
    }
    const start = fault.injectedAt ?? this.window("faults").start;
    const confirmedAfter = fault.effectConfirmedAt !== undefined && fault.injectedAt !== undefined ? `${fault.effectConfirmedAt - fault.injectedAt} ms` : "—";
    const parameters: Parameter[] = [
      { name: "targets", value: fault.plan?.targets.map((target) => target.id).join(", ") ?? "" },
      { name: "effect confirmed after", value: confirmedAfter, excluded: true },
    ];
    return step(`Fault ${fault.name} (${fault.type})`, stepStatus(fault.verdict), { start, stop: fault.revertedAt ?? start }, {
      attachments,
      statusDetails: { message: fault.evidence?.summary ?? fault.message },
      parameters,
    });
  }

  async expectation(expectation: ScenarioResult["expectations"][number]): Promise<StepResult> {
    const attachments: Attachment[] = [];
    if (expectation.evidence || expectation.recovery || expectation.ledger) {
      attachments.push(await this.attach(`evidence of expect[${expectation.index}]`, { recovery: expectation.recovery, ledger: expectation.ledger, ...expectation.evidence }));
    }
    const samples = probeSamples(this.entries, `expect[${expectation.index}] `);
    if (Object.keys(samples).length > 0) attachments.push(await this.attach(`probe samples of expect[${expectation.index}]`, samples));
    const mttr = expectation.recovery?.mttrMs;
    return step(`Expect ${expectation.description}`, stepStatus(expectation.verdict), this.window("expect"), {
      statusDetails: { message: expectation.message },
      attachments,
      parameters: mttr !== undefined ? [{ name: "MTTR", value: `${mttr} ms`, excluded: true }] : [],
    });
  }

  closing(): { revert: StepResult; teardown: StepResult; leakAudit: StepResult } {
    const { reverts, leaks } = this.result;
    const revertMessage = `${reverts.reverted} action(s) reverted${reverts.failed.length ? `, ${reverts.failed.length} failed` : ""}`;
    return {
      revert: step("Revert", reverts.failed.length > 0 ? Status.BROKEN : Status.PASSED, this.window("revert"), { statusDetails: { message: revertMessage } }),
      teardown: step("Teardown", Status.PASSED, this.window("teardown")),
      leakAudit: step("Leak audit", leaks.length > 0 ? Status.BROKEN : Status.PASSED, this.window("leakAudit"), {
        statusDetails: { message: leaks.map((leak) => leak.what).join("; ") || "no leaks" },
      }),
    };
  }
}

/** Every step of a scenario's Allure test, in the order the phases ran. */
export async function scenarioSteps(result: ScenarioResult, attach: Attach): Promise<StepResult[]> {
  const steps = new ScenarioSteps(result, attach);
  const faults: StepResult[] = [];
  for (const fault of result.faults) faults.push(await steps.fault(fault));
  const expectations: StepResult[] = [];
  for (const expectation of result.expectations) expectations.push(await steps.expectation(expectation));
  const before = await steps.steadyState("before", "steadyState", "Steady state (before)");
  const after = await steps.steadyState("after", "steadyStateAfter", "Steady state (after recovery)");
  const { revert, teardown, leakAudit } = steps.closing();
  return [steps.setup(), ...before, ...faults, ...expectations, revert, ...after, teardown, leakAudit];
}
