/**
 * `chaoslab plan <files...>`: the dry run. Resolves, against the running lab, exactly which pods,
 * brokers and proxies each fault would hit now and checks the safety policy — reading only (plan
 * contexts carry readers, no mutating port). Exit 0 when every fault resolved safely, 2 on invalid input
 * or a safety violation, 3 when the lab is unreachable or a target cannot be resolved now.
 */
import type { StartedLab } from "../../../cluster/provider.ts";
import { DEFAULT_CATALOG, findSetupAction, type Catalog } from "../../catalog.ts";
import { silentLog, type ReadPorts } from "../../core/context.ts";
import { generateSeed } from "../../core/rng.ts";
import { EXIT_CODES } from "../../../reports/results/verdict.ts";
import { faultSpecOf, planFault } from "../../engine/plan-fault.ts";
import { describeFaultStart, faultStartOf } from "../../engine/fault-schedule.ts";
import { formatDuration } from "../../../workloads/queue-events/duration.ts";
import type { FaultPlan } from "../../../reports/results/scenario-result.ts";
import { type ScenarioCommand, selectAndConnect } from "./scenario-files.ts";

export interface PlanDeps {
  catalog?: Catalog;
  /** The running lab (only its description and read-only answers are used) and read ports. */
  connect(): Promise<{ lab: StartedLab; ports: ReadPorts; close(): Promise<void> }>;
}

export interface ScenarioPlan {
  file: string;
  scenario: string;
  seed: number;
  setup: string[];
  /** `starts`: when the fault starts in the run (fault-schedule.ts), e.g. "100ms after outer took effect". */
  faults: (({ status: "resolved"; plan: FaultPlan } | { status: "unresolved"; fault: string; type: string; reason: string }) & { starts: string })[];
}

export const planCommand: ScenarioCommand<{ seed?: number; json?: boolean }, PlanDeps> = async (paths, options, deps, io) => {
  const catalog = deps.catalog ?? DEFAULT_CATALOG;
  const prepared = await selectAndConnect({ paths, labels: options.labels, suiteDir: options.suiteDir, catalog }, deps.connect, io, "planned");
  if ("exitCode" in prepared) return prepared.exitCode;
  const { scenarios, connection } = prepared;
  const plans: ScenarioPlan[] = [];
  try {
    for (const result of scenarios) {
      const { scenario } = result;
      const seed = options.seed ?? scenario.spec.seed ?? generateSeed();
      const plan: ScenarioPlan = {
        file: result.file,
        scenario: scenario.metadata.name,
        seed,
        setup: scenario.spec.setup.map((entry, index) => `setup[${index}] ${entry.kind}: ${findSetupAction(catalog, entry.kind).create(entry.params).describe()}`),
        faults: [],
      };
      for (const [index, entry] of scenario.spec.faults.entries()) {
        const lasts = entry.duration === undefined ? "" : `, lasts ${formatDuration(entry.duration)}`;
        const starts = `${describeFaultStart(faultStartOf(scenario.spec.faults, index))}${lasts}`;
        const scope = { ports: connection.ports, lab: connection.lab, scenario: scenario.metadata.name, safety: scenario.spec.safety, seed, log: silentLog };
        try {
          plan.faults.push({ status: "resolved", plan: await planFault(catalog, faultSpecOf(entry), scope), starts });
        } catch (error) {
          const createdBySetup = scenario.spec.setup.length > 0 ? " (if setup creates these targets, they are resolved at run time)" : "";
          plan.faults.push({ status: "unresolved", fault: entry.name, type: entry.type, reason: `${(error as Error).message}${createdBySetup}`, starts });
        }
      }
      plans.push(plan);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }

  if (options.json) io.out(JSON.stringify(plans, null, 2));
  else for (const plan of plans) io.out(renderPlan(plan, options.seed === undefined));
  const violations = plans.some((plan) => plan.faults.some((fault) => fault.status === "resolved" && !fault.plan.safety.ok));
  const unresolved = plans.some((plan) => plan.faults.some((fault) => fault.status === "unresolved"));
  if (violations) return EXIT_CODES.invalidInput;
  if (unresolved) return EXIT_CODES.brokenOrInconclusive;
  return EXIT_CODES.passed;
};

export function renderPlan(plan: ScenarioPlan, seedChosenHere: boolean): string {
  const lines = [`${plan.file} — ${plan.scenario}, seed ${plan.seed}${seedChosenHere ? ` (replay this plan: --seed ${plan.seed})` : ""}`];
  for (const setup of plan.setup) lines.push(`  ${setup}  [created at run time]`);
  if (plan.faults.length === 0) lines.push("  no faults");
  for (const fault of plan.faults) {
    if (fault.status === "unresolved") {
      lines.push(`  fault ${fault.fault} (${fault.type}): starts ${fault.starts}; cannot resolve now: ${fault.reason}`);
      continue;
    }
    const { plan: resolved } = fault;
    lines.push(`  fault ${resolved.fault} (${resolved.type}): starts ${fault.starts}; would hit ${resolved.targets.length} of ${resolved.candidates} candidate(s)`);
    for (const target of resolved.targets) lines.push(`    - ${target.kind} ${target.id}${target.uid ? ` (uid ${target.uid})` : ""}${target.detail ? `, ${target.detail}` : ""}`);
    for (const note of resolved.notes) lines.push(`    ${note}`);
    lines.push(resolved.safety.ok ? "    safety: ok" : `    SAFETY VIOLATION:\n${resolved.safety.violations.map((violation) => `      - ${violation}`).join("\n")}`);
  }
  return lines.join("\n");
}
