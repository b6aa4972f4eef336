/**
 * The nightly history, kept in the published directory so that publishing it (GitHub Pages) is also how
 * it survives to the next night:
 *
 *   <publish>/history/runs.jsonl      one RunRecord per line (run-record.ts): verdicts, MTTR, score
 *   <publish>/history/history.jsonl   Allure's own history file (`historyPath`): its trend charts and
 *                                     each test's History tab
 *
 * A CI runner starts empty, so the workflow fetches the previous deployment's `history/` into a directory
 * of its own (`--history-dir`); merging it with whatever the publish directory already holds is
 * idempotent (runs by runId, Allure entries by uuid): fetching the same history twice adds nothing.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { RunRecord } from "./run-record.ts";

export const HISTORY_SUBDIR = "history";
export const RUNS_FILE = "runs.jsonl";
export const ALLURE_HISTORY_FILE = "history.jsonl";
/** Same bound as the Allure history (reports/render.ts): a useful trend, a bounded file. */
export const RUN_HISTORY_LIMIT = 100;

export const runsFileIn = (dir: string) => path.join(dir, RUNS_FILE);
export const allureHistoryFileIn = (dir: string) => path.join(dir, ALLURE_HISTORY_FILE);

async function readLines(file: string): Promise<string[]> {
  const text = await fs.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  return text.split("\n").filter((line) => line.trim() !== "");
}

function parseLine<T>(line: string, file: string, lineNumber: number): T {
  try {
    return JSON.parse(line) as T;
  } catch (error) {
    throw new Error(`${file}:${lineNumber}: not a JSON line (${(error as Error).message}); fix or delete that line, the rest of the history is kept`);
  }
}

export async function readRuns(historyDir: string): Promise<RunRecord[]> {
  const file = runsFileIn(historyDir);
  return (await readLines(file)).map((line, index) => parseLine<RunRecord>(line, file, index + 1));
}

/** Runs of every source, one per runId (the later source wins), oldest first, at most `limit`. */
export function mergeRuns(sources: readonly (readonly RunRecord[])[], limit = RUN_HISTORY_LIMIT): RunRecord[] {
  const byId = new Map<string, RunRecord>();
  for (const runs of sources) for (const run of runs) byId.set(run.runId, run);
  return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.runId.localeCompare(b.runId)).slice(-limit);
}

export async function writeRuns(historyDir: string, runs: readonly RunRecord[]): Promise<string> {
  await fs.mkdir(historyDir, { recursive: true });
  const file = runsFileIn(historyDir);
  await fs.writeFile(file, runs.map((run) => JSON.stringify(run)).join("\n") + (runs.length > 0 ? "\n" : ""));
  return file;
}

interface AllureHistoryEntry {
  uuid?: string;
  timestamp?: number;
}

/**
 * Allure's history lines of both files, one per uuid, oldest first. Allure appends one line per
 * render; a line it cannot key (no uuid) is kept as it is.
 */
export async function mergeAllureHistory(intoFile: string, fromFile: string): Promise<number> {
  const seen = new Set<string>();
  const entries: { line: string; timestamp: number }[] = [];
  for (const file of [fromFile, intoFile]) {
    (await readLines(file)).forEach((line, index) => {
      const entry = parseLine<AllureHistoryEntry>(line, file, index + 1);
      const key = entry.uuid ?? line;
      if (seen.has(key)) return;
      seen.add(key);
      entries.push({ line, timestamp: entry.timestamp ?? 0 });
    });
  }
  entries.sort((a, b) => a.timestamp - b.timestamp);
  await fs.mkdir(path.dirname(intoFile), { recursive: true });
  await fs.writeFile(intoFile, entries.map((entry) => entry.line).join("\n") + (entries.length > 0 ? "\n" : ""));
  return entries.length;
}
