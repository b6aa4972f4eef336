/**
 * Teardown: whatever the setup actions created (and any mutation still journaled) is removed through
 * the module that recorded it. The journal file goes only when every revert succeeded; otherwise it is
 * kept for `chaoslab cleanup` and the run is broken.
 */
import type { ScenarioRun } from "./run-state.ts";

export async function tearDown(run: ScenarioRun): Promise<void> {
  run.enterPhase("teardown");
  await run.replay(() => true, "teardown");
}

/** Closes the journal; returns whether its file was removed (every revert succeeded). */
export async function closeJournal(run: ScenarioRun): Promise<boolean> {
  const { removed } = await run.journal.close();
  if (!removed) run.fail("broken", "revert", `some reverts failed; the journal is kept at ${run.journal.file}: fix the cause and run \`chaoslab cleanup\``);
  for (const result of run.faultResults) if (result.verdict === "not-run" && result.message === undefined) result.message = "not run: an earlier step stopped the scenario";
  return removed;
}
