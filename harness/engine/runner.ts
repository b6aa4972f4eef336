/**
 * The scenario runner: setup → steady state → plan → faults (each with evidence that it landed, else
 * inconclusive) while expectations watch with typed timing → revert → steady state again → teardown →
 * leak audit → verdict. It knows faults, probes, expectations and setup actions only through their
 * interfaces and the catalog.
 *
 * Whatever happens — a failure, SIGINT/SIGTERM (the `signal` option), the scenario's timeout — every
 * journaled mutation is reverted before `runScenario` returns; what cannot be reverted stays in the
 * journal for `chaoslab cleanup` and makes the verdict `broken`.
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import { UnsupportedCapabilityError, type StartedLab } from "../../cluster/provider.ts";
import { findExpectation, findFault, findProbe, findSetupAction, type Catalog } from "../catalog.ts";
import { faultSpecOf, NoEvidenceError, UnsupportedFaultError, type FaultContext, type FaultEvidence, type FaultPlan } from "../faults/fault.ts";
import type { ExpectationContext, ExpectationOutcome, FaultWindow, LedgerCounts, Recovery } from "../expectations/expectation.ts";
import type { ProbeContext } from "../probes/probe.ts";
import type { LoadResult } from "../scenario/loader.ts";
import type { Scenario } from "../scenario/schema.ts";
import { formatDuration } from "../scenario/duration.ts";
import { pollTimedCondition, type TimingResult } from "../timing/timing.ts";
import { AbortedError, type Clock } from "./clock.ts";
import type { Leak, Log, PlanContext, RevertContext, RunContextBase, RunPorts } from "./context.ts";
import { deferred, type Deferred } from "./deferred.ts";
import { environmentFingerprint, type EnvironmentFingerprint } from "./fingerprint.ts";
import { catalogReverters, RevertJournal, type JournalEntry } from "./journal.ts";
import type { Recorder } from "./recorder.ts";
import { deriveRng, generateSeed } from "./rng.ts";
import { RUN_ID_LABEL, SafetyViolationError } from "./safety.ts";
import { SelectionError } from "./selection.ts";
import { SharedResourcePool } from "./shared-resources.ts";
import { RunNames } from "./run-names.ts";
import { Timeline, type PhaseName, type TimelineEntry } from "./timeline.ts";
import { combineScenarioVerdict, type Verdict, type VerdictReason } from "./verdict.ts";

export type LoadedScenario = Extract<LoadResult, { ok: true }>;

export interface ScenarioRunDeps {
  catalog: Catalog;
  lab: StartedLab;
  ports: RunPorts;
  recorders: readonly Recorder[];
  clock: Clock;
  journalDir: string;
  log: Log;
  /** Aborts the run (SIGINT/SIGTERM); reverts still happen. */
  signal?: AbortSignal;
  onTimeline?: (entry: TimelineEntry) => void;
}

export interface ScenarioRunOptions {
  /** Overrides the scenario's seed (replay). */
  seed?: number;
  runId?: string;
}

export interface FaultResult {
  name: string;
  type: string;
  verdict?: "confirmed" | "inconclusive" | "broken" | "skipped" | "not-run";
  plan?: FaultPlan;
  injectedAt?: number;
  effectConfirmedAt?: number;
  revertedAt?: number;
  evidence?: FaultEvidence;
  message?: string;
}

export interface CheckResult {
  when: "before" | "after";
  index: number;
  probe: string;
  description: string;
  verdict: TimingResult["verdict"];
  message: string;
}

export interface ExpectationResult {
  index: number;
  kind: string;
  description: string;
  verdict: Verdict;
  message: string;
  recovery?: Recovery;
  ledger?: LedgerCounts;
  evidence?: Record<string, unknown>;
}

export interface PhaseResult {
  phase: PhaseName;
  startedAt: number;
  finishedAt?: number;
}

export interface ScenarioResult {
  name: string;
  title?: string;
  file: string;
  labels: string[];
  runId: string;
  seed: number;
  verdict: Verdict;
  reasons: VerdictReason[];
  startedAt: number;
  finishedAt: number;
  phases: PhaseResult[];
  setup: { index: number; kind: string; description: string; error?: string }[];
  faults: FaultResult[];
  steadyState: CheckResult[];
  expectations: ExpectationResult[];
  ledger?: LedgerCounts;
  leaks: Leak[];
  reverts: { reverted: number; failed: JournalEntry[]; journalKept?: string };
  timeline: ReturnType<Timeline["toJSON"]>;
  fingerprint: EnvironmentFingerprint;
  /** A fault would have hit what the safety policy forbids: the scenario is invalid for this lab (exit 2, as from plan). */
  safetyViolations?: string[];
}

export function makeRunId(now: number): string {
  return `r${now.toString(36)}-${randomBytes(2).toString("hex")}`;
}

/** How long the audit waits for pods of deleted setup Jobs to be gone (garbage collection is async). */
const AUDIT_SETTLE_MS = 15_000;

export async function runScenario(loaded: LoadedScenario, deps: ScenarioRunDeps, options: ScenarioRunOptions = {}): Promise<ScenarioResult> {
  const { scenario } = loaded;
  const { catalog, lab, ports, clock, log } = deps;
  const spec = scenario.spec;
  const startedAt = clock.now();
  const runId = options.runId ?? makeRunId(startedAt);
  const seed = options.seed ?? spec.seed ?? generateSeed();
  const deadline = startedAt + spec.timeout;
  const timeline = new Timeline(clock);
  const unsubscribe = deps.onTimeline ? timeline.subscribe(deps.onTimeline) : () => undefined;
  const reasons: VerdictReason[] = [];
  const fail = (verdict: Verdict, source: string, message: string) => reasons.push({ verdict, source, message });
  const phases: PhaseResult[] = [];
  let currentPhase: PhaseName | undefined;
  const enterPhase = (phase: PhaseName) => {
    leavePhase();
    currentPhase = phase;
    phases.push({ phase, startedAt: clock.now() });
    timeline.record({ kind: "phase", phase, state: "start" });
  };
  const leavePhase = () => {
    const open = phases.at(-1);
    if (currentPhase && open && open.finishedAt === undefined) {
      open.finishedAt = clock.now();
      timeline.record({ kind: "phase", phase: currentPhase, state: "end" });
    }
    currentPhase = undefined;
  };

  // One abort for the whole run: the caller's signal (SIGINT/SIGTERM) or the scenario's timeout.
  const run = new AbortController();
  let stopReason: "interrupted" | "timeout" | undefined;
  const onExternalAbort = () => {
    stopReason ??= "interrupted";
    run.abort(new AbortedError(`interrupted (${String(deps.signal?.reason instanceof Error ? deps.signal.reason.message : (deps.signal?.reason ?? "signal"))})`));
  };
  if (deps.signal?.aborted) onExternalAbort();
  deps.signal?.addEventListener("abort", onExternalAbort, { once: true });
  const timeoutTimer = new AbortController();
  void clock.sleep(spec.timeout, timeoutTimer.signal).then(
    () => {
      stopReason ??= "timeout";
      run.abort(new AbortedError(`the scenario's timeout of ${formatDuration(spec.timeout)} expired`));
    },
    () => undefined,
  );
  const stoppedEarly = (phase: string): string | undefined => {
    if (!run.signal.aborted) return undefined;
    return stopReason === "timeout" ? `the scenario's timeout of ${formatDuration(spec.timeout)} expired during ${phase} (raise spec.timeout)` : `interrupted during ${phase}`;
  };

  const shared = new SharedResourcePool();
  const names = RunNames.forRun(runId);
  const sources = new Set<string>();
  const fingerprint = environmentFingerprint(lab.description);
  const journal = await RevertJournal.create({
    dir: deps.journalDir,
    runId,
    scenario: scenario.metadata.name,
    scenarioFile: path.resolve(loaded.file),
    lab: { provider: lab.description.provider, stateDir: lab.description.stateDir, kubeconfig: lab.description.kubeconfig },
    now: startedAt,
  });
  const reverters = catalogReverters(catalog as never);
  const revertContext = (): RevertContext => ({ lab, kube: ports.kube, kafka: ports.kafka, clock, log });
  let revertedCount = 0;
  const revertFailures: JournalEntry[] = [];
  const replay = async (filter: (entry: JournalEntry) => boolean, source: string) => {
    const report = await journal.replay(reverters, revertContext(), filter);
    revertedCount += report.reverted.length;
    for (const entry of report.failed) {
      revertFailures.push(entry);
      fail("broken", source, `could not revert "${entry.description}": ${entry.error}`);
    }
    return report;
  };

  const base: RunContextBase = {
    ...ports,
    runId,
    scenario: scenario.metadata.name,
    scenarioDir: path.dirname(path.resolve(loaded.file)),
    description: lab.description,
    lab,
    clock,
    timeline,
    signal: run.signal,
    shared,
    names,
    log,
  };
  const planContext = (scope: string): PlanContext => ({
    kube: ports.kube,
    kafka: ports.kafka,
    kafkaWorkloads: ports.kafkaWorkloads,
    scenario: scenario.metadata.name,
    description: lab.description,
    brokerPaths: () => lab.network.brokerPaths(),
    safety: spec.safety,
    seed,
    runId,
    rng: (...labels) => deriveRng(seed, scope, ...labels),
    log,
  });
  const probeContext = (signal: AbortSignal): ProbeContext => ({
    kube: ports.kube,
    kafka: ports.kafka,
    kafkaWorkloads: ports.kafkaWorkloads,
    description: lab.description,
    services: lab.services,
    timeline,
    clock,
    signal,
    shared,
    names,
    log,
    observing: (source) => sources.has(source),
    runStartedAt: startedAt,
  });

  const setupResults: ScenarioResult["setup"] = [];
  const safetyViolations: string[] = [];
  const faultResults: FaultResult[] = spec.faults.map((entry) => ({ name: entry.name, type: entry.type, verdict: "not-run" }));
  const steadyState: CheckResult[] = [];
  const expectationResults: ExpectationResult[] = [];
  const leaks: Leak[] = [];
  let faultsInconclusive = false;
  let reachedFaults = false;

  // Reference moments for `since`: setup, faults (first injection), and each fault's injection.
  const references = new Map<string, Deferred<number>>([["setup", deferred()], ["faults", deferred()]]);
  for (const entry of spec.faults) references.set(entry.name, deferred());
  const faultWindow = deferred<{ start: number; end: number; faults: FaultWindow[] }>();

  const checkSteadyState = async (when: "before" | "after"): Promise<boolean> => {
    let held = true;
    for (const [index, entry] of spec.steadyState.entries()) {
      const probe = findProbe(catalog, entry.probe.kind).create(entry.probe.params);
      const ctx = probeContext(run.signal);
      const now = clock.now();
      const result = await pollTimedCondition(() => probe.sample(ctx), { within: entry.timeout, onNoData: "inconclusive" }, {
        clock,
        signal: run.signal,
        reference: Promise.resolve(now),
        scenarioDeadline: deadline,
        faultWindow: faultWindow.promise,
        onSample: (sample) => timeline.record({ kind: "probe", probe: `steadyState[${index}] ${entry.probe.kind} (${when})`, outcome: sample.outcome, value: sample.value, detail: sample.detail, at: sample.at }),
      });
      steadyState.push({ when, index, probe: entry.probe.kind, description: probe.describe(), verdict: result.verdict, message: result.message });
      if (result.verdict !== "passed") {
        held = false;
        const source = `steadyState[${index}] ${entry.probe.kind}`;
        if (when === "before") fail("broken", source, `steady state not met before injection: ${probe.describe()}: ${result.message}`);
        else fail(result.verdict === "failed" ? "failed" : "inconclusive", source, `steady state not back after recovery: ${probe.describe()}: ${result.message}`);
      }
    }
    return held;
  };

  try {
    for (const recorder of deps.recorders) {
      try {
        for (const source of await recorder.start({ timeline, namespaces: spec.safety.allowedNamespaces, runStartedAt: startedAt, names })) sources.add(source);
      } catch (error) {
        timeline.record({ kind: "note", level: "warning", message: `recorder ${recorder.name} did not start: ${(error as Error).message}` });
      }
    }

    // --- Given: setup and steady state -------------------------------------------------------
    enterPhase("setup");
    references.get("setup")!.resolve(clock.now());
    for (const [index, entry] of spec.setup.entries()) {
      const type = findSetupAction(catalog, entry.kind);
      const action = type.create(entry.params);
      const result: ScenarioResult["setup"][number] = { index, kind: entry.kind, description: action.describe() };
      setupResults.push(result);
      try {
        await action.run({
          ...base,
          runLabels: { [RUN_ID_LABEL]: runId },
          journal: {
            record: async (revertAction, description) => {
              await journal.record({ owner: "setup", type: entry.kind, element: `setup[${index}]`, description, action: revertAction }, clock.now());
            },
          },
        });
      } catch (error) {
        result.error = (error as Error).message;
        if (error instanceof UnsupportedCapabilityError) fail("skipped", `setup[${index}] ${entry.kind}`, `this lab cannot carry the scenario: ${result.error}`);
        else fail("broken", `setup[${index}] ${entry.kind}`, stoppedEarly("setup") ?? `setup failed: ${action.describe()}: ${result.error}`);
        break;
      }
    }
    if (reasons.length === 0) {
      enterPhase("steadyState");
      await checkSteadyState("before");
      const early = stoppedEarly("the steady-state check");
      if (early && !reasons.some((reason) => reason.verdict === "broken")) fail("broken", "steadyState", early);
    }

    // --- When: faults, watched by the expectations --------------------------------------------
    if (reasons.length === 0) {
      enterPhase("faults");
      reachedFaults = true;
      const faultsPhaseStart = clock.now();
      const faultSpecs = spec.faults.map(faultSpecOf);

      // Plan everything first: a safety violation or unresolvable target stops the run before any harm.
      for (const [index, faultSpec] of faultSpecs.entries()) {
        const result = faultResults[index]!;
        try {
          result.plan = await findFault(catalog, faultSpec.type).create(faultSpec).plan(planContext(`fault:${faultSpec.name}`));
          timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "planned", detail: result.plan.targets.map((target) => target.id).join(", "), data: { plan: result.plan } });
          if (!result.plan.safety.ok) {
            result.verdict = "broken";
            const refused = new SafetyViolationError(faultSpec.name, result.plan.safety.violations).message;
            safetyViolations.push(refused);
            fail("broken", `fault ${faultSpec.name}`, refused);
          }
        } catch (error) {
          result.message = (error as Error).message;
          if (error instanceof SelectionError) {
            // Nothing (or too little) to hit: the fault cannot take effect, which is not proof of anything.
            result.verdict = "inconclusive";
            faultsInconclusive = true;
            timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "no-evidence", detail: result.message });
            fail("inconclusive", `fault ${faultSpec.name}`, `no target: ${result.message}`);
          } else {
            result.verdict = "broken";
            fail("broken", `fault ${faultSpec.name}`, `cannot plan: ${result.message}`);
          }
        }
      }

      const expectations = new AbortController();
      const stopExpectations = () => expectations.abort(new AbortedError("the run stopped"));
      run.signal.addEventListener("abort", stopExpectations, { once: true });
      const faultsStopped = reasons.length > 0;
      if (spec.faults.length === 0 || faultsStopped) references.get("faults")!.resolve(faultsPhaseStart);

      const expectationRuns = faultsStopped
        ? []
        : spec.expect.map(async (entry, index): Promise<ExpectationResult> => {
            const expectation = findExpectation(catalog, entry.kind).create(entry.params);
            const ctx: ExpectationContext = {
              ...probeContext(expectations.signal),
              reference: (since) => references.get(since ?? "faults")?.promise ?? Promise.reject(new Error(`unknown reference "${since}"`)),
              faultWindow: faultWindow.promise,
              scenarioDeadline: deadline,
              recordSample: (sample) => timeline.record({ kind: "probe", probe: `expect[${index}] ${entry.kind}`, outcome: sample.outcome, value: sample.value, detail: sample.detail, at: sample.at }),
            };
            let outcome: ExpectationOutcome;
            try {
              outcome = await expectation.evaluate(ctx);
            } catch (error) {
              outcome = { verdict: "broken", message: `the expectation itself failed: ${(error as Error).message}` };
            }
            return { index, kind: entry.kind, description: expectation.describe(), ...outcome };
          });

      let stopFaults = faultsStopped;
      for (const [index, faultSpec] of faultSpecs.entries()) {
        if (stopFaults) break;
        const result = faultResults[index]!;
        const type = findFault(catalog, faultSpec.type);
        const markInjected = (detail: string) => {
          if (result.injectedAt !== undefined) return;
          result.injectedAt = clock.now();
          timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "injected", detail });
          references.get(faultSpec.name)!.resolve(result.injectedAt);
          references.get("faults")!.resolve(result.injectedAt);
        };
        const ctx: FaultContext<unknown> = {
          ...base,
          ...planContext(`fault:${faultSpec.name}`),
          kube: ports.kube,
          spec: faultSpec,
          markInjected,
          journal: {
            record: async (revertAction, description) => {
              await journal.record({ owner: "fault", type: faultSpec.type, element: faultSpec.name, description, action: revertAction }, clock.now());
              timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "journaled", detail: description });
            },
          },
        };
        const callStartedAt = clock.now();
        try {
          const fault = type.create(faultSpec);
          const evidence = await fault.inject(ctx);
          markInjected(`inject of ${faultSpec.type} returned`);
          if (result.injectedAt === undefined) result.injectedAt = callStartedAt;
          result.evidence = evidence;
          result.effectConfirmedAt = evidence.effectConfirmedAt;
          result.verdict = "confirmed";
          timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "effect-confirmed", detail: evidence.summary, data: evidence.observations, at: evidence.effectConfirmedAt });
          if (faultSpec.durationMs !== undefined) {
            const until = result.injectedAt + faultSpec.durationMs;
            if (fault.watch) await fault.watch(ctx, until);
            if (clock.now() < until) await clock.sleep(until - clock.now(), run.signal);
          }
        } catch (error) {
          stopFaults = true;
          const message = (error as Error).message;
          result.message = message;
          if (error instanceof NoEvidenceError || error instanceof SelectionError) {
            result.verdict = "inconclusive";
            // An effect confirmed at first and then lost: keep when it was confirmed, but it is not "effective".
            if (result.effectConfirmedAt !== undefined) result.evidence = { ...result.evidence!, summary: `effect lost: ${message} (first confirmed: ${result.evidence?.summary ?? "?"})` };
            faultsInconclusive = true;
            timeline.record({ kind: "fault", fault: faultSpec.name, type: faultSpec.type, event: "no-evidence", detail: message, data: error instanceof NoEvidenceError ? error.observations : undefined });
            fail("inconclusive", `fault ${faultSpec.name}`, error instanceof SelectionError ? `no target: ${message}` : `no evidence that ${faultSpec.type} took effect: ${message}`);
          } else if (error instanceof UnsupportedFaultError || error instanceof UnsupportedCapabilityError) {
            result.verdict = "skipped";
            fail("skipped", `fault ${faultSpec.name}`, message);
          } else {
            result.verdict = "broken";
            const early = stoppedEarly(`fault ${faultSpec.name}`);
            if (error instanceof SafetyViolationError) safetyViolations.push(message);
            const kind = error instanceof SafetyViolationError ? "" : "injecting failed: ";
            fail("broken", `fault ${faultSpec.name}`, early ?? `${kind}${message}`);
          }
        } finally {
          const report = await replay((entry) => entry.owner === "fault" && entry.element === faultSpec.name, `revert ${faultSpec.name}`);
          result.revertedAt = clock.now();
          timeline.record({
            kind: "fault",
            fault: faultSpec.name,
            type: faultSpec.type,
            event: report.failed.length > 0 ? "revert-failed" : "reverted",
            detail: `${report.reverted.length} action(s) reverted${report.failed.length ? `, ${report.failed.length} failed` : ""}`,
          });
        }
      }

      const windows: FaultWindow[] = faultResults
        .filter((result) => result.injectedAt !== undefined)
        .map((result) => ({ fault: result.name, type: result.type, injectedAt: result.injectedAt!, revertedAt: result.revertedAt }));
      for (const [name, reference] of references) {
        if (!reference.settled) reference.reject(new Error(name === "faults" ? "no fault was injected" : `fault ${name} was never injected`));
      }
      faultWindow.resolve({
        start: windows[0]?.injectedAt ?? faultsPhaseStart,
        end: Math.max(faultsPhaseStart, ...windows.map((window) => window.revertedAt ?? clock.now())),
        faults: windows,
      });

      // --- Then: expectations -------------------------------------------------------------------
      enterPhase("expect");
      if (stopFaults) stopExpectations();
      const outcomes = await Promise.all(expectationRuns);
      run.signal.removeEventListener("abort", stopExpectations);
      for (const outcome of outcomes) {
        if (stopFaults) {
          expectationResults.push({ ...outcome, verdict: "skipped", message: `not judged: the faults did not complete (${outcome.message})` });
          continue;
        }
        expectationResults.push(outcome);
        if (outcome.verdict !== "passed") fail(outcome.verdict, `expect[${outcome.index}] ${outcome.kind}`, `${outcome.description}: ${outcome.message}`);
      }
      if (!stopFaults && stopReason === "interrupted") fail("broken", "expect", "interrupted before every expectation was decided");
    }
  } finally {
    deps.signal?.removeEventListener("abort", onExternalAbort);
    enterPhase("revert");
    await replay((entry) => entry.owner === "fault", "revert");

    if (reachedFaults && !run.signal.aborted && !reasons.some((reason) => reason.verdict === "broken" || reason.verdict === "skipped") && !faultsInconclusive && spec.steadyState.length > 0) {
      enterPhase("steadyStateAfter");
      await checkSteadyState("after");
    }

    enterPhase("teardown");
    await replay(() => true, "teardown");

    enterPhase("leakAudit");
    leaks.push(...(await auditLeaks(deps, runId, [...new Set([...spec.safety.allowedNamespaces, ...lab.description.namespaces])])));
    for (const leak of leaks) fail("broken", "leak-audit", `${leak.what} (fix: ${leak.fix})`);
    leavePhase();

    timeoutTimer.abort();
    for (const recorder of deps.recorders) await recorder.stop().catch((error: unknown) => log.warn(`stopping recorder ${recorder.name}: ${(error as Error).message}`));
    for (const problem of await shared.closeAll()) log.warn(`closing ${problem}`);
    unsubscribe();
  }

  const { removed } = await journal.close();
  if (!removed) fail("broken", "revert", `some reverts failed; the journal is kept at ${journal.file}: fix the cause and run \`chaoslab cleanup\``);
  for (const result of faultResults) if (result.verdict === "not-run" && result.message === undefined) result.message = "not run: an earlier step stopped the scenario";

  const ledger = [...expectationResults].reverse().find((result) => result.ledger)?.ledger;
  return {
    name: scenario.metadata.name,
    title: scenario.metadata.title,
    file: loaded.file,
    labels: scenario.metadata.labels,
    runId,
    seed,
    verdict: combineScenarioVerdict({ faultsInconclusive, reasons }),
    reasons,
    startedAt,
    finishedAt: clock.now(),
    phases,
    setup: setupResults,
    faults: faultResults,
    steadyState,
    expectations: expectationResults,
    ledger,
    leaks,
    reverts: { reverted: revertedCount, failed: revertFailures, journalKept: removed ? undefined : journal.file },
    timeline: timeline.toJSON(),
    fingerprint,
    ...(safetyViolations.length > 0 ? { safetyViolations } : {}),
  };
}

/**
 * Leaks after a scenario: whatever the fault modules look for (toxics, stopped brokers), and objects
 * still carrying this run's label. Pods of deleted Jobs are garbage-collected asynchronously, so the
 * label check waits a little for them.
 */
export async function auditLeaks(deps: Pick<ScenarioRunDeps, "catalog" | "lab" | "ports" | "clock">, runId: string | undefined, namespaces: string[]): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const type of deps.catalog.faults) {
    if (!type.audit) continue;
    try {
      leaks.push(...(await type.audit({ lab: deps.lab, kube: deps.ports.kube, runId, namespaces })));
    } catch (error) {
      leaks.push({ what: `could not audit ${type.type} leftovers: ${(error as Error).message}`, fix: "check the lab by hand (`chaoslab lab status`)" });
    }
  }
  if (runId === undefined) return leaks;
  const selector = `${RUN_ID_LABEL}=${runId}`;
  const settleUntil = deps.clock.now() + AUDIT_SETTLE_MS;
  for (;;) {
    const remaining: string[] = [];
    try {
      for (const namespace of namespaces) {
        for (const job of await deps.ports.kube.list({ apiVersion: "batch/v1", kind: "Job", namespace, labelSelector: selector })) {
          if (!job.metadata.deletionTimestamp) remaining.push(`Job ${namespace}/${job.metadata.name}`);
        }
        for (const pod of await deps.ports.kube.listPods(namespace, selector)) if (!pod.terminating) remaining.push(`Pod ${namespace}/${pod.name}`);
      }
    } catch (error) {
      leaks.push({ what: `could not list objects labelled ${selector}: ${(error as Error).message}`, fix: "check the lab by hand" });
      return leaks;
    }
    if (remaining.length === 0) return leaks;
    if (deps.clock.now() >= settleUntil) {
      leaks.push(...remaining.map((what) => ({ what: `${what} (labelled ${selector}) still exists`, fix: `kubectl delete job,pod -A -l ${selector}` })));
      return leaks;
    }
    await deps.clock.sleep(1_000);
  }
}
