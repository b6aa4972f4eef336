/** Human progress lines for `chaoslab run`, from the scenario's timeline as it is recorded. */
import { formatDuration } from "../../../workloads/queue-events/duration.ts";
import type { TimelineEntry } from "../../../reports/results/timeline.ts";
import type { ScenarioResult } from "../../../reports/results/scenario-result.ts";

export function progressLine(entry: TimelineEntry, startedAt: number): string | undefined {
  const t = `+${formatDuration(Math.max(0, Math.round((entry.at - startedAt) / 100) * 100))}`.padEnd(8);
  switch (entry.kind) {
    case "phase":
      return entry.state === "start" ? `${t} ▶ ${entry.phase}` : undefined;
    case "fault":
      if (entry.event === "journaled") return undefined;
      return `${t}   fault ${entry.fault}: ${entry.event}${entry.detail ? ` — ${entry.detail}` : ""}`;
    case "healer":
      return `${t}   healer ${entry.action} ${entry.jobName}${entry.reason ? ` (${entry.reason})` : ""}${entry.replacementJobName ? ` → ${entry.replacementJobName}` : ""}`;
    case "task":
      return entry.event === "flowing" ? undefined : `${t}   task ${entry.taskId}: ${entry.event} (Job ${entry.jobName}, attempt ${entry.attempt})${entry.message ? ` — ${entry.message}` : ""}`;
    case "note":
      return entry.level === "warning" ? `${t}   warning: ${entry.message}` : `${t}   ${entry.message}`;
    default:
      return undefined;
  }
}

export function renderResult(result: ScenarioResult): string {
  const lines = [`${result.verdict.toUpperCase()} ${result.name} (seed ${result.seed}, ${formatDuration(result.finishedAt - result.startedAt)})`];
  for (const expectation of result.expectations) lines.push(`  ${expectation.verdict.padEnd(12)} expect[${expectation.index}] ${expectation.description}: ${expectation.message}`);
  for (const reason of result.reasons.filter((candidate) => !candidate.source.startsWith("expect["))) lines.push(`  ${reason.verdict.padEnd(12)} ${reason.source}: ${reason.message}`);
  if (result.reverts.journalKept) lines.push(`  revert journal kept at ${result.reverts.journalKept}: run \`chaoslab cleanup\``);
  return lines.join("\n");
}
