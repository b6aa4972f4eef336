/**
 * Allure results of a `chaoslab run`: one Allure test per scenario, its steps mirroring the scenario's
 * phases (setup, steady state, each fault with its evidence, each expectation, revert, teardown, leak
 * audit), with the timeline, plans, evidence, seed and environment attached. Written in the Allure 2
 * result format that `allure generate` (Allure Report 3) reads, next to what allure-vitest writes.
 *
 * Results of an earlier `chaoslab run` for the same scenarios are removed first: Allure would show them
 * as retries of this run.
 *
 * Allure Report 3 ignores the `historyId` field: it derives a test's history key from `testCaseId` and
 * the parameters not marked `excluded`, so the per-run parameters (seed, runId) are excluded — else every
 * run would start a new history and the trends would be empty. It also ignores `categories.json` in the
 * results (its categories come from the report config: reports/render.ts passes ALLURE_CATEGORIES); the
 * file is still written for Allure 2 readers.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioResult } from "../harness/engine/runner.ts";
import type { TimelineEntry } from "../harness/engine/timeline.ts";
import { ALLURE_CATEGORIES, allureMessageOf, allureStatusOf, categoryOf, type AllureStatus } from "./allure-categories.ts";
import { renderTimelineSvg } from "./timeline-svg.ts";

/**
 * Scenario results live apart from `allure-results/`, which allure-vitest fills with every test of every
 * vitest run: the resilience report must show scenarios, not the project's unit tests.
 */
export const DEFAULT_ALLURE_RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "out", "allure-results");
const FRAMEWORK = "chaoslab";

interface Attachment {
  name: string;
  source: string;
  type: string;
}

interface Step {
  name: string;
  status: AllureStatus;
  stage: "finished";
  start: number;
  stop: number;
  statusDetails?: { message?: string };
  steps: Step[];
  attachments: Attachment[];
  parameters: Parameter[];
}

/** `excluded`: left out of the history key (Allure 3), so runs with different values share a history. */
interface Parameter {
  name: string;
  value: string;
  excluded?: boolean;
}

const stepStatus = (verdict: string | undefined): AllureStatus =>
  verdict === undefined || verdict === "passed" || verdict === "confirmed" ? "passed" : verdict === "failed" ? "failed" : verdict === "skipped" || verdict === "not-run" ? "skipped" : "broken";

export async function writeAllureResults(results: readonly ScenarioResult[], dir = DEFAULT_ALLURE_RESULTS): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const historyIds = new Set(results.map((result) => historyIdOf(result.name)));
  await removeEarlierResults(dir, historyIds);
  for (const result of results) await writeScenario(result, dir);
  await fs.writeFile(path.join(dir, "categories.json"), `${JSON.stringify(ALLURE_CATEGORIES, null, 2)}\n`);
  const fingerprint = results[0]?.fingerprint;
  if (fingerprint) {
    const environment = { provider: fingerprint.provider, node: fingerprint.node, platform: fingerprint.platform, ...fingerprint.components };
    await fs.writeFile(path.join(dir, "environment.properties"), Object.entries(environment).map(([key, value]) => `${key}=${value}`).join("\n") + "\n");
  }
  return dir;
}

function historyIdOf(name: string): string {
  return createHash("md5").update(`chaoslab-scenario:${name}`).digest("hex");
}

async function removeEarlierResults(dir: string, historyIds: Set<string>): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (!name.endsWith("-result.json")) continue;
    const file = path.join(dir, name);
    try {
      const earlier = JSON.parse(await fs.readFile(file, "utf8")) as { historyId?: string; labels?: { name: string; value: string }[]; attachments?: Attachment[]; steps?: Step[] };
      if (!earlier.labels?.some((label) => label.name === "framework" && label.value === FRAMEWORK) || !historyIds.has(earlier.historyId ?? "")) continue;
      const sources = collectSources(earlier.attachments ?? [], earlier.steps ?? []);
      for (const source of sources) await fs.rm(path.join(dir, source), { force: true });
      await fs.rm(file, { force: true });
    } catch {
      // Not ours or unreadable: leave it to whoever wrote it.
    }
  }
}

function collectSources(attachments: Attachment[], steps: Step[]): string[] {
  return [...attachments.map((attachment) => attachment.source), ...steps.flatMap((step) => collectSources(step.attachments ?? [], step.steps ?? []))];
}

type Entry = ScenarioResult["timeline"]["entries"][number];
const ofKind = <K extends TimelineEntry["kind"]>(entries: readonly Entry[], kind: K) => entries.filter((entry): entry is Extract<Entry, { kind: K }> => entry.kind === kind);

/** Probe samples grouped by probe, in time order (what the timeline draws as ticks). */
function probeSamples(entries: readonly Entry[], prefix = ""): Record<string, { time: string; t: number; outcome: string; detail?: string; value?: unknown }[]> {
  const grouped: Record<string, { time: string; t: number; outcome: string; detail?: string; value?: unknown }[]> = {};
  for (const sample of ofKind(entries, "probe")) {
    if (!sample.probe.startsWith(prefix)) continue;
    (grouped[sample.probe] ??= []).push({ time: sample.time, t: sample.t, outcome: sample.outcome, detail: sample.detail, value: sample.value });
  }
  return grouped;
}

/** The name part of a planned target id: `streamforge/loader-1-abcde` → `loader-1-abcde`. */
const targetName = (id: string) => id.slice(id.lastIndexOf("/") + 1);

async function writeScenario(result: ScenarioResult, dir: string): Promise<void> {
  const attach = async (name: string, content: unknown, type: "application/json" | "image/svg+xml" = "application/json"): Promise<Attachment> => {
    const source = `${randomUUID()}-attachment.${type === "application/json" ? "json" : "svg"}`;
    await fs.writeFile(path.join(dir, source), typeof content === "string" ? content : JSON.stringify(content, null, 2));
    return { name, source, type };
  };
  const entries = result.timeline.entries;
  const k8sEvents = ofKind(entries, "k8s-event");
  const objectChanges = ofKind(entries, "object");
  const healerDecisions = ofKind(entries, "healer");
  const phase = (name: string) => result.phases.find((candidate) => candidate.phase === name);
  const window = (name: string) => ({ start: phase(name)?.startedAt ?? result.startedAt, stop: phase(name)?.finishedAt ?? phase(name)?.startedAt ?? result.startedAt });
  const step = (name: string, status: AllureStatus, times: { start: number; stop: number }, extra: Partial<Step> = {}): Step => ({
    name,
    status,
    stage: "finished",
    ...times,
    steps: [],
    attachments: [],
    parameters: [],
    ...extra,
  });

  const steps: Step[] = [];
  steps.push(
    step("Setup", result.setup.some((entry) => entry.error) ? "broken" : "passed", window("setup"), {
      steps: result.setup.map((entry) => step(`${entry.kind}: ${entry.description}`, entry.error ? "broken" : "passed", window("setup"), entry.error ? { statusDetails: { message: entry.error } } : {})),
    }),
  );
  const checks = async (when: "before" | "after", phaseName: string, title: string) => {
    const items = result.steadyState.filter((check) => check.when === when);
    if (items.length === 0) return;
    const worst = items.some((check) => check.verdict !== "passed") ? (when === "before" ? "broken" : stepStatus(items.find((check) => check.verdict !== "passed")!.verdict)) : "passed";
    const samples = probeSamples(entries, "steadyState[");
    const ofCheck = (check: (typeof items)[number]) => Object.fromEntries(Object.entries(samples).filter(([probe]) => probe.startsWith(`steadyState[${check.index}] `) && probe.endsWith(`(${when})`)));
    const checkSteps: Step[] = [];
    for (const check of items) {
      const own = ofCheck(check);
      checkSteps.push(
        step(`${check.probe}: ${check.description}`, stepStatus(check.verdict), window(phaseName), {
          statusDetails: { message: check.message },
          attachments: Object.keys(own).length > 0 ? [await attach(`probe samples of steadyState[${check.index}] (${when})`, own)] : [],
        }),
      );
    }
    steps.push(step(title, worst, window(phaseName), { steps: checkSteps }));
  };
  await checks("before", "steadyState", "Steady state (before)");
  for (const fault of result.faults) {
    const attachments: Attachment[] = [];
    if (fault.plan) attachments.push(await attach(`plan of ${fault.name}`, fault.plan));
    if (fault.evidence) attachments.push(await attach(`evidence of ${fault.name}`, fault.evidence));
    const targets = new Set((fault.plan?.targets ?? []).map((target) => targetName(target.id)));
    const ofTargets = {
      events: k8sEvents.filter((event) => targets.has(event.involvedObject.name)),
      objectChanges: objectChanges.filter((change) => targets.has(change.name)),
      faultTimeline: ofKind(entries, "fault").filter((entry) => entry.fault === fault.name),
    };
    if (ofTargets.events.length + ofTargets.objectChanges.length + ofTargets.faultTimeline.length > 0) attachments.push(await attach(`events of ${fault.name}'s targets`, ofTargets));
    const start = fault.injectedAt ?? window("faults").start;
    steps.push(
      step(`Fault ${fault.name} (${fault.type})`, stepStatus(fault.verdict), { start, stop: fault.revertedAt ?? start }, {
        attachments,
        statusDetails: { message: fault.evidence?.summary ?? fault.message },
        parameters: [
          { name: "targets", value: fault.plan?.targets.map((target) => target.id).join(", ") ?? "" },
          { name: "effect confirmed after", value: fault.effectConfirmedAt !== undefined && fault.injectedAt !== undefined ? `${fault.effectConfirmedAt - fault.injectedAt} ms` : "—", excluded: true },
        ],
      }),
    );
  }
  for (const expectation of result.expectations) {
    const attachments: Attachment[] = [];
    if (expectation.evidence || expectation.recovery || expectation.ledger) {
      attachments.push(await attach(`evidence of expect[${expectation.index}]`, { recovery: expectation.recovery, ledger: expectation.ledger, ...expectation.evidence }));
    }
    const samples = probeSamples(entries, `expect[${expectation.index}] `);
    if (Object.keys(samples).length > 0) attachments.push(await attach(`probe samples of expect[${expectation.index}]`, samples));
    steps.push(
      step(`Expect ${expectation.description}`, stepStatus(expectation.verdict), window("expect"), {
        statusDetails: { message: expectation.message },
        attachments,
        parameters: expectation.recovery?.mttrMs !== undefined ? [{ name: "MTTR", value: `${expectation.recovery.mttrMs} ms`, excluded: true }] : [],
      }),
    );
  }
  steps.push(step("Revert", result.reverts.failed.length > 0 ? "broken" : "passed", window("revert"), { statusDetails: { message: `${result.reverts.reverted} action(s) reverted${result.reverts.failed.length ? `, ${result.reverts.failed.length} failed` : ""}` } }));
  await checks("after", "steadyStateAfter", "Steady state (after recovery)");
  steps.push(step("Teardown", "passed", window("teardown")));
  steps.push(step("Leak audit", result.leaks.length > 0 ? "broken" : "passed", window("leakAudit"), { statusDetails: { message: result.leaks.map((leak) => leak.what).join("; ") || "no leaks" } }));

  const category = categoryOf(result.verdict, result.reasons);
  const description = [
    `**Verdict:** ${result.verdict}${category ? ` (${category.name})` : ""}`,
    ...result.reasons.map((reason) => `- [${reason.verdict}] ${reason.source}: ${reason.message}`),
    "",
    `**Replay:** \`chaoslab run ${result.file} --seed ${result.seed}\` (run ${result.runId} on ${result.fingerprint.provider})`,
  ].join("\n");
  const timelineTitle = `${result.name} — ${result.verdict}`;

  const uuid = randomUUID();
  const test = {
    uuid,
    historyId: historyIdOf(result.name),
    testCaseId: historyIdOf(result.name),
    name: result.title ?? result.name,
    fullName: `${result.file}#${result.name}`,
    description,
    status: allureStatusOf(result.verdict),
    statusDetails: { message: allureMessageOf(result.verdict, result.reasons) ?? "", trace: result.reasons.map((reason) => `[${reason.verdict}] ${reason.source}: ${reason.message}`).join("\n") },
    stage: "finished",
    start: result.startedAt,
    stop: result.finishedAt,
    labels: [
      { name: "framework", value: FRAMEWORK },
      { name: "suite", value: "resilience scenarios" },
      { name: "subSuite", value: result.name },
      { name: "verdict", value: result.verdict },
      ...result.labels.map((label) => ({ name: "tag", value: label })),
      ...[...new Set(result.faults.map((fault) => fault.type))].map((type) => ({ name: "feature", value: type })),
    ],
    parameters: [
      { name: "seed", value: String(result.seed), excluded: true },
      { name: "provider", value: result.fingerprint.provider },
      { name: "runId", value: result.runId, excluded: true },
    ],
    links: [],
    steps,
    attachments: [
      await attach("timeline", renderTimelineSvg(result.timeline, { title: timelineTitle }), "image/svg+xml"),
      await attach("timeline (entries)", result.timeline),
      await attach("resolved plan", result.faults.map((fault) => fault.plan ?? { fault: fault.name, type: fault.type, notPlanned: fault.message ?? fault.verdict })),
      await attach("probe samples", probeSamples(entries)),
      await attach("Kubernetes events and object changes", { events: k8sEvents, objectChanges }),
      await attach("healer decisions", healerDecisions),
      await attach("seed and versions", { seed: result.seed, runId: result.runId, replay: `chaoslab run ${result.file} --seed ${result.seed}`, fingerprint: result.fingerprint }),
      await attach("verdict reasons", result.reasons),
      ...(result.ledger ? [await attach("Kafka ledger", result.ledger)] : []),
    ],
  };
  await fs.writeFile(path.join(dir, `${uuid}-result.json`), JSON.stringify(test, null, 2));
}
