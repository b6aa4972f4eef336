/**
 * One scenario run's state, shared by the phases (setup.ts … leak-audit.ts beside it): what the run is (scenario,
 * seed, id, deadline), where it stands (phase, reasons gathered so far, results of each element), the one
 * abort that stops it (the caller's signal or the scenario's timeout), its journal, and the contexts it
 * hands to faults, probes and expectations. The phases read and write this; `result()` turns it into the
 * results contract.
 */
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { StartedLab } from "../../cluster/provider.ts";
import { environmentFingerprint, type EnvironmentFingerprint } from "../../reports/results/fingerprint.ts";
import type { CheckResult, ExpectationResult, FaultResult, Leak, PhaseResult, RevertFailure, ScenarioResult } from "../../reports/results/scenario-result.ts";
import type { PhaseName, TimelineEntry } from "../../reports/results/timeline.ts";
import { combineScenarioVerdict, type Verdict, type VerdictReason } from "../../reports/results/verdict.ts";
import type { Catalog } from "../catalog.ts";
import { AbortedError, type Clock } from "../core/clock.ts";
import type { Log, PlanContext, RevertContext, RunContextBase, RunPorts } from "../core/context.ts";
import { deferred, type Deferred } from "../core/deferred.ts";
import { catalogReverters, RevertJournal, type JournalEntry } from "../core/journal.ts";
import type { Recorder } from "../core/recorder.ts";
import { generateSeed } from "../core/rng.ts";
import { RunNames } from "../core/run-names.ts";
import { SharedResourcePool } from "../core/shared-resources.ts";
import { Timeline } from "../core/timeline.ts";
import type { FaultWindow } from "../expectations/expectation.ts";
import type { ProbeContext } from "../probes/probe.ts";
import type { LoadedScenario } from "../scenario/loader.ts";
import { formatDuration } from "../../workloads/queue-events/duration.ts";
import { planContextFor, type PlanScope } from "./plan-fault.ts";

export interface ScenarioRunDeps {
  catalog: Catalog;
  lab: StartedLab;
  ports: RunPorts;
  recorders: readonly Recorder[];
  clock: Clock;
  journalDir: string;
  /** Where elements write the run's own files (k6 output); a temporary directory when not given. */
  artifactsDir?: string;
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

export function makeRunId(now: number): string {
  return `r${now.toString(36)}-${randomBytes(2).toString("hex")}`;
}

export type FaultWindowSummary = { start: number; end: number; faults: FaultWindow[] };

export class ScenarioRun {
  readonly scenario: LoadedScenario["scenario"];
  readonly spec: LoadedScenario["scenario"]["spec"];
  readonly clock: Clock;
  readonly log: Log;
  readonly startedAt: number;
  readonly runId: string;
  readonly seed: number;
  readonly deadline: number;
  readonly timeline: Timeline;
  readonly names: RunNames;
  readonly shared = new SharedResourcePool();
  /** Sources the recorders observe (`k8s-events`, `queue-events`): probes ask whether theirs is covered. */
  readonly sources = new Set<string>();
  readonly fingerprint: EnvironmentFingerprint;

  /** Why the verdict is what it is, in the order observed (broken > inconclusive faults > failed > ...). */
  readonly reasons: VerdictReason[] = [];
  readonly phases: PhaseResult[] = [];
  readonly setupResults: ScenarioResult["setup"] = [];
  readonly faultResults: FaultResult[];
  readonly steadyState: CheckResult[] = [];
  readonly expectationResults: ExpectationResult[] = [];
  readonly leaks: Leak[] = [];
  readonly safetyViolations: string[] = [];
  readonly revertFailures: RevertFailure[] = [];
  revertedCount = 0;
  faultsInconclusive = false;
  reachedFaults = false;

  /** Reference moments for `since`: setup, faults (first injection), and each fault's injection. */
  readonly references: Map<string, Deferred<number>>;
  readonly faultWindow = deferred<FaultWindowSummary>();

  /** One abort for the whole run: the caller's signal (SIGINT/SIGTERM) or the scenario's timeout. */
  private readonly abort = new AbortController();
  stopReason: "interrupted" | "timeout" | undefined;
  private currentPhase: PhaseName | undefined;
  private readonly timeoutTimer = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly onExternalAbort = () => {
    this.stopReason ??= "interrupted";
    const reason = this.deps.signal?.reason;
    this.abort.abort(new AbortedError(`interrupted (${String(reason instanceof Error ? reason.message : (reason ?? "signal"))})`));
  };

  private constructor(
    readonly loaded: LoadedScenario,
    readonly deps: ScenarioRunDeps,
    readonly journal: RevertJournal,
    ids: { startedAt: number; runId: string; seed: number },
  ) {
    this.scenario = loaded.scenario;
    this.spec = loaded.scenario.spec;
    this.clock = deps.clock;
    this.log = deps.log;
    ({ startedAt: this.startedAt, runId: this.runId, seed: this.seed } = ids);
    this.deadline = this.startedAt + this.spec.timeout;
    this.timeline = new Timeline(this.clock);
    this.unsubscribe = deps.onTimeline ? this.timeline.subscribe(deps.onTimeline) : () => undefined;
    this.names = RunNames.forRun(this.runId);
    this.fingerprint = environmentFingerprint(deps.lab.description);
    this.faultResults = this.spec.faults.map((entry) => ({ name: entry.name, type: entry.type, verdict: "not-run" }));
    this.references = new Map([["setup", deferred<number>()], ["faults", deferred<number>()]]);
    for (const entry of this.spec.faults) this.references.set(entry.name, deferred());

    if (deps.signal?.aborted) this.onExternalAbort();
    deps.signal?.addEventListener("abort", this.onExternalAbort, { once: true });
    void this.clock.sleep(this.spec.timeout, this.timeoutTimer.signal).then(
      () => {
        this.stopReason ??= "timeout";
        this.abort.abort(new AbortedError(`the scenario's timeout of ${formatDuration(this.spec.timeout)} expired`));
      },
      () => undefined,
    );
  }

  static async start(loaded: LoadedScenario, deps: ScenarioRunDeps, options: ScenarioRunOptions): Promise<ScenarioRun> {
    const startedAt = deps.clock.now();
    const runId = options.runId ?? makeRunId(startedAt);
    const seed = options.seed ?? loaded.scenario.spec.seed ?? generateSeed();
    const { description } = deps.lab;
    const journal = await RevertJournal.create({
      dir: deps.journalDir,
      runId,
      scenario: loaded.scenario.metadata.name,
      scenarioFile: path.resolve(loaded.file),
      lab: { provider: description.provider, stateDir: description.stateDir, kubeconfig: description.kubeconfig },
      now: startedAt,
    });
    return new ScenarioRun(loaded, deps, journal, { startedAt, runId, seed });
  }

  get catalog(): Catalog {
    return this.deps.catalog;
  }

  get lab(): StartedLab {
    return this.deps.lab;
  }

  get ports(): RunPorts {
    return this.deps.ports;
  }

  /** Aborted when the run must stop: interrupted or out of time. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  fail(verdict: Verdict, source: string, message: string): void {
    this.reasons.push({ verdict, source, message });
  }

  hasReason(...verdicts: Verdict[]): boolean {
    return this.reasons.some((reason) => verdicts.includes(reason.verdict));
  }

  enterPhase(phase: PhaseName): void {
    this.leavePhase();
    this.currentPhase = phase;
    this.phases.push({ phase, startedAt: this.clock.now() });
    this.timeline.record({ kind: "phase", phase, state: "start" });
  }

  leavePhase(): void {
    const open = this.phases.at(-1);
    if (this.currentPhase && open && open.finishedAt === undefined) {
      open.finishedAt = this.clock.now();
      this.timeline.record({ kind: "phase", phase: this.currentPhase, state: "end" });
    }
    this.currentPhase = undefined;
  }

  /** Why the run stopped during `phase`, if it did: the message a reason carries instead of the raw error. */
  stoppedEarly(phase: string): string | undefined {
    if (!this.signal.aborted) return undefined;
    return this.stopReason === "timeout"
      ? `the scenario's timeout of ${formatDuration(this.spec.timeout)} expired during ${phase} (raise spec.timeout)`
      : `interrupted during ${phase}`;
  }

  /** Reverts the journaled mutations `filter` picks; a revert that fails makes the run broken. */
  async replay(filter: (entry: JournalEntry) => boolean, source: string) {
    const report = await this.journal.replay(catalogReverters(this.catalog as never), this.revertContext(), filter);
    this.revertedCount += report.reverted.length;
    for (const entry of report.failed) {
      this.revertFailures.push(entry);
      this.fail("broken", source, `could not revert "${entry.description}": ${entry.error}`);
    }
    return report;
  }

  revertContext(): RevertContext {
    return { lab: this.lab, kube: this.ports.kube, kafka: this.ports.kafka, clock: this.clock, log: this.log };
  }

  /** What every run-time context starts from. */
  base(): RunContextBase {
    return {
      ...this.ports,
      runId: this.runId,
      scenario: this.scenario.metadata.name,
      scenarioDir: path.dirname(path.resolve(this.loaded.file)),
      artifactsDir: this.deps.artifactsDir ?? path.join(os.tmpdir(), "chaoslab-artifacts"),
      description: this.lab.description,
      lab: this.lab,
      clock: this.clock,
      timeline: this.timeline,
      signal: this.signal,
      shared: this.shared,
      names: this.names,
      log: this.log,
    };
  }

  planScope(): PlanScope {
    return { ports: this.ports, lab: this.lab, scenario: this.scenario.metadata.name, safety: this.spec.safety, seed: this.seed, runId: this.runId, log: this.log };
  }

  planContext(label: string): PlanContext {
    return planContextFor(this.planScope(), label);
  }

  probeContext(signal: AbortSignal): ProbeContext {
    return {
      kube: this.ports.kube,
      kafka: this.ports.kafka,
      kafkaWorkloads: this.ports.kafkaWorkloads,
      description: this.lab.description,
      services: this.lab.services,
      timeline: this.timeline,
      clock: this.clock,
      signal,
      shared: this.shared,
      names: this.names,
      log: this.log,
      observing: (source) => this.sources.has(source),
      runStartedAt: this.startedAt,
    };
  }

  /** The caller's signal no longer stops the run: what follows (reverts, audit) must complete. */
  detachCallerSignal(): void {
    this.deps.signal?.removeEventListener("abort", this.onExternalAbort);
  }

  /** Stops the timeout, the recorders and the shared helpers. */
  async close(): Promise<void> {
    this.timeoutTimer.abort();
    // At once: each is a Kafka consumer whose disconnect waits for its fetch in flight.
    await Promise.all([
      ...this.deps.recorders.map((recorder) => recorder.stop().catch((error: unknown) => this.log.warn(`stopping recorder ${recorder.name}: ${(error as Error).message}`))),
      this.shared.closeAll().then((problems) => problems.forEach((problem) => this.log.warn(`closing ${problem}`))),
    ]);
    this.unsubscribe();
  }

  result(journalRemoved: boolean): ScenarioResult {
    const { metadata } = this.scenario;
    const ledger = [...this.expectationResults].reverse().find((result) => result.ledger)?.ledger;
    return {
      name: metadata.name,
      title: metadata.title,
      file: this.loaded.file,
      labels: metadata.labels,
      runId: this.runId,
      seed: this.seed,
      verdict: combineScenarioVerdict({ faultsInconclusive: this.faultsInconclusive, reasons: this.reasons }),
      reasons: this.reasons,
      startedAt: this.startedAt,
      finishedAt: this.clock.now(),
      phases: this.phases,
      setup: this.setupResults,
      faults: this.faultResults,
      steadyState: this.steadyState,
      expectations: this.expectationResults,
      ledger,
      leaks: this.leaks,
      reverts: { reverted: this.revertedCount, failed: this.revertFailures, journalKept: journalRemoved ? undefined : this.journal.file },
      timeline: this.timeline.toJSON(),
      fingerprint: this.fingerprint,
      ...(this.safetyViolations.length > 0 ? { safetyViolations: this.safetyViolations } : {}),
    };
  }
}
