/**
 * Given, part one: the recorders start watching (Kubernetes events, queue-events, object UIDs), then
 * the scenario's setup actions run in order, each journaling what teardown must remove. A setup that
 * fails stops the run as broken; one the lab cannot carry (a missing capability) makes it skipped.
 */
import { UnsupportedCapabilityError } from "../../cluster/provider.ts";
import type { ScenarioResult } from "../../reports/results/scenario-result.ts";
import { findSetupAction } from "../catalog.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import type { ScenarioRun } from "./run-state.ts";

export async function startRecorders(run: ScenarioRun): Promise<void> {
  for (const recorder of run.deps.recorders) {
    try {
      const sources = await recorder.start({ timeline: run.timeline, namespaces: run.spec.safety.allowedNamespaces, runStartedAt: run.startedAt, names: run.names });
      for (const source of sources) run.sources.add(source);
    } catch (error) {
      run.timeline.record({ kind: "note", level: "warning", message: `recorder ${recorder.name} did not start: ${(error as Error).message}` });
    }
  }
}

export async function runSetup(run: ScenarioRun): Promise<void> {
  run.enterPhase("setup");
  run.references.get("setup")!.resolve(run.clock.now());
  for (const [index, entry] of run.spec.setup.entries()) {
    const action = findSetupAction(run.catalog, entry.kind).create(entry.params);
    const result: ScenarioResult["setup"][number] = { index, kind: entry.kind, description: action.describe() };
    run.setupResults.push(result);
    try {
      await action.run({
        ...run.base(),
        runLabels: { [RUN_ID_LABEL]: run.runId },
        journal: {
          record: async (revertAction, description) => {
            await run.journal.record({ owner: "setup", type: entry.kind, element: `setup[${index}]`, description, action: revertAction }, run.clock.now());
          },
        },
      });
    } catch (error) {
      result.error = (error as Error).message;
      if (error instanceof UnsupportedCapabilityError) run.fail("skipped", `setup[${index}] ${entry.kind}`, `this lab cannot carry the scenario: ${result.error}`);
      else run.fail("broken", `setup[${index}] ${entry.kind}`, run.stoppedEarly("setup") ?? `setup failed: ${action.describe()}: ${result.error}`);
      break;
    }
  }
}
