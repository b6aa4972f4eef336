/**
 * Allure results of a `chaoslab run`: one Allure test per scenario, its steps mirroring the scenario's
 * phases (setup, steady state, each fault with its evidence, each expectation, revert, teardown, leak
 * audit), with the timeline, plans, evidence, seed and environment attached. Written in the Allure 2
 * result format that `allure generate` (Allure Report 3) reads, next to what allure-vitest writes.
 *
 * Results of an earlier `chaoslab run` for the same scenarios are removed first: Allure would show them
 * as retries of this run.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioResult } from "../harness/engine/runner.ts";
import { ALLURE_CATEGORIES, allureMessageOf, allureStatusOf, type AllureStatus } from "./allure-categories.ts";

export const DEFAULT_ALLURE_RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "allure-results");
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
  parameters: { name: string; value: string }[];
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

async function writeScenario(result: ScenarioResult, dir: string): Promise<void> {
  const attach = async (name: string, content: unknown): Promise<Attachment> => {
    const source = `${randomUUID()}-attachment.json`;
    await fs.writeFile(path.join(dir, source), JSON.stringify(content, null, 2));
    return { name, source, type: "application/json" };
  };
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
  const checks = (when: "before" | "after", phaseName: string, title: string) => {
    const items = result.steadyState.filter((check) => check.when === when);
    if (items.length === 0) return;
    const worst = items.some((check) => check.verdict !== "passed") ? (when === "before" ? "broken" : stepStatus(items.find((check) => check.verdict !== "passed")!.verdict)) : "passed";
    steps.push(step(title, worst, window(phaseName), { steps: items.map((check) => step(`${check.probe}: ${check.description}`, stepStatus(check.verdict), window(phaseName), { statusDetails: { message: check.message } })) }));
  };
  checks("before", "steadyState", "Steady state (before)");
  for (const fault of result.faults) {
    const attachments: Attachment[] = [];
    if (fault.plan) attachments.push(await attach(`plan of ${fault.name}`, fault.plan));
    if (fault.evidence) attachments.push(await attach(`evidence of ${fault.name}`, fault.evidence));
    const start = fault.injectedAt ?? window("faults").start;
    steps.push(
      step(`Fault ${fault.name} (${fault.type})`, stepStatus(fault.verdict), { start, stop: fault.revertedAt ?? start }, {
        attachments,
        statusDetails: { message: fault.evidence?.summary ?? fault.message },
        parameters: [
          { name: "targets", value: fault.plan?.targets.map((target) => target.id).join(", ") ?? "" },
          { name: "effect confirmed after", value: fault.effectConfirmedAt !== undefined && fault.injectedAt !== undefined ? `${fault.effectConfirmedAt - fault.injectedAt} ms` : "—" },
        ],
      }),
    );
  }
  for (const expectation of result.expectations) {
    steps.push(
      step(`Expect ${expectation.description}`, stepStatus(expectation.verdict), window("expect"), {
        statusDetails: { message: expectation.message },
        attachments: expectation.evidence ? [await attach(`evidence of expect[${expectation.index}]`, { recovery: expectation.recovery, ledger: expectation.ledger, ...expectation.evidence })] : [],
        parameters: expectation.recovery?.mttrMs !== undefined ? [{ name: "MTTR", value: `${expectation.recovery.mttrMs} ms` }] : [],
      }),
    );
  }
  steps.push(step("Revert", result.reverts.failed.length > 0 ? "broken" : "passed", window("revert"), { statusDetails: { message: `${result.reverts.reverted} action(s) reverted${result.reverts.failed.length ? `, ${result.reverts.failed.length} failed` : ""}` } }));
  checks("after", "steadyStateAfter", "Steady state (after recovery)");
  steps.push(step("Teardown", "passed", window("teardown")));
  steps.push(step("Leak audit", result.leaks.length > 0 ? "broken" : "passed", window("leakAudit"), { statusDetails: { message: result.leaks.map((leak) => leak.what).join("; ") || "no leaks" } }));

  const uuid = randomUUID();
  const test = {
    uuid,
    historyId: historyIdOf(result.name),
    testCaseId: historyIdOf(result.name),
    name: result.title ?? result.name,
    fullName: `${result.file}#${result.name}`,
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
      { name: "seed", value: String(result.seed) },
      { name: "provider", value: result.fingerprint.provider },
      { name: "runId", value: result.runId },
    ],
    links: [],
    steps,
    attachments: [
      await attach("timeline", result.timeline),
      await attach("seed and environment", { seed: result.seed, runId: result.runId, fingerprint: result.fingerprint }),
      await attach("verdict reasons", result.reasons),
      ...(result.ledger ? [await attach("Kafka ledger", result.ledger)] : []),
    ],
  };
  await fs.writeFile(path.join(dir, `${uuid}-result.json`), JSON.stringify(test, null, 2));
}
