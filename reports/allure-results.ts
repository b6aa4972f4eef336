/**
 * Allure results of a `chaoslab run`: one Allure test per scenario, its steps mirroring the scenario's
 * phases (setup, steady state, each fault with its evidence, each expectation, revert, teardown, leak
 * audit), with the timeline, plans, evidence, seed and environment attached. Written in the Allure 2
 * result format that `allure generate` (Allure Report 3) reads, next to what allure-vitest writes: the
 * model and the writer are allure-js-commons' (the library allure-vitest itself writes with).
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
import { Stage, type Attachment, type StepResult, type TestResult } from "allure-js-commons";
import { FileSystemWriter } from "allure-js-commons/sdk/reporter";
import type { ScenarioResult } from "./results/scenario-result.ts";
import { ALLURE_CATEGORIES, allureMessageOf, allureStatusOf, categoryOf } from "./allure-categories.ts";
import { ofKind, probeSamples, scenarioSteps, type Attach } from "./allure-steps.ts";
import { renderTimelineSvg } from "./timeline-svg.ts";

/**
 * Scenario results live apart from `allure-results/`, which allure-vitest fills with every test of every
 * vitest run: the resilience report must show scenarios, not the project's unit tests.
 */
export const DEFAULT_ALLURE_RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "out", "allure-results");
const FRAMEWORK = "chaoslab";

export async function writeAllureResults(results: readonly ScenarioResult[], dir = DEFAULT_ALLURE_RESULTS): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const historyIds = new Set(results.map((result) => historyIdOf(result.name)));
  await removeEarlierResults(dir, historyIds);
  const writer = new FileSystemWriter({ resultsDir: dir });
  for (const result of results) await writeScenario(result, writer);
  writer.writeCategoriesDefinitions(ALLURE_CATEGORIES);
  const fingerprint = results[0]?.fingerprint;
  if (fingerprint) {
    writer.writeEnvironmentInfo({ provider: fingerprint.provider, node: fingerprint.node, platform: fingerprint.platform, ...fingerprint.components });
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
      const earlier = JSON.parse(await fs.readFile(file, "utf8")) as Partial<TestResult>;
      if (!earlier.labels?.some((label) => label.name === "framework" && label.value === FRAMEWORK) || !historyIds.has(earlier.historyId ?? "")) continue;
      const sources = collectSources(earlier.attachments ?? [], earlier.steps ?? []);
      for (const source of sources) await fs.rm(path.join(dir, source), { force: true });
      await fs.rm(file, { force: true });
    } catch {
      // Not ours or unreadable: leave it to whoever wrote it.
    }
  }
}

function collectSources(attachments: Attachment[], steps: StepResult[]): string[] {
  return [...attachments.map((attachment) => attachment.source), ...steps.flatMap((step) => collectSources(step.attachments ?? [], step.steps ?? []))];
}

function attacher(writer: FileSystemWriter): Attach {
  return async (name, content, type = "application/json") => {
    const source = `${randomUUID()}-attachment.${type === "application/json" ? "json" : "svg"}`;
    writer.writeAttachment(source, Buffer.from(typeof content === "string" ? content : JSON.stringify(content, null, 2)));
    return { name, source, type };
  };
}

function descriptionOf(result: ScenarioResult): string {
  const category = categoryOf(result.verdict, result.reasons);
  return [
    `**Verdict:** ${result.verdict}${category ? ` (${category.name})` : ""}`,
    ...result.reasons.map((reason) => `- [${reason.verdict}] ${reason.source}: ${reason.message}`),
    "",
    `**Replay:** \`chaoslab run ${result.file} --seed ${result.seed}\` (run ${result.runId} on ${result.fingerprint.provider})`,
  ].join("\n");
}

/** The scenario-level attachments: the timeline drawn and as data, plans, samples, events, decisions, seed. */
async function scenarioAttachments(result: ScenarioResult, attach: Attach): Promise<Attachment[]> {
  const entries = result.timeline.entries;
  return [
    await attach("timeline", renderTimelineSvg(result.timeline, { title: `${result.name} — ${result.verdict}` }), "image/svg+xml"),
    await attach("timeline (entries)", result.timeline),
    await attach("resolved plan", result.faults.map((fault) => fault.plan ?? { fault: fault.name, type: fault.type, notPlanned: fault.message ?? fault.verdict })),
    await attach("probe samples", probeSamples(entries)),
    await attach("Kubernetes events and object changes", { events: ofKind(entries, "k8s-event"), objectChanges: ofKind(entries, "object") }),
    await attach("healer decisions", ofKind(entries, "healer")),
    await attach("seed and versions", { seed: result.seed, runId: result.runId, replay: `chaoslab run ${result.file} --seed ${result.seed}`, fingerprint: result.fingerprint }),
    await attach("verdict reasons", result.reasons),
    ...(result.ledger ? [await attach("Kafka ledger", result.ledger)] : []),
  ];
}

async function writeScenario(result: ScenarioResult, writer: FileSystemWriter): Promise<void> {
  const attach = attacher(writer);
  const test: TestResult = {
    uuid: randomUUID(),
    historyId: historyIdOf(result.name),
    testCaseId: historyIdOf(result.name),
    name: result.title ?? result.name,
    fullName: `${result.file}#${result.name}`,
    description: descriptionOf(result),
    status: allureStatusOf(result.verdict),
    statusDetails: {
      message: allureMessageOf(result.verdict, result.reasons) ?? "",
      trace: result.reasons.map((reason) => `[${reason.verdict}] ${reason.source}: ${reason.message}`).join("\n"),
    },
    stage: Stage.FINISHED,
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
    steps: await scenarioSteps(result, attach),
    attachments: await scenarioAttachments(result, attach),
  };
  writer.writeResult(test);
}
