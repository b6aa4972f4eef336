/**
 * Which scenario files a command works on: files and directories named on the command line (a
 * directory means its `*.yaml`), or, with `--label`, every scenario of the suite directory whose
 * metadata.labels include one of the labels.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { DEFAULT_CATALOG, type Catalog } from "../../catalog.ts";
import { formatDiagnostic, loadScenarioFile, type LoadResult } from "../../scenario/loader.ts";
import type { LoadedScenario } from "../../scenario/loader.ts";
import { EXIT_CODES } from "../../../reports/results/verdict.ts";
import type { CommandIo } from "./io.ts";

export async function expandScenarioPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const entry of paths) {
    const stat = await fs.stat(entry).catch(() => undefined);
    if (stat?.isDirectory()) {
      const names = (await fs.readdir(entry)).filter((name) => /\.ya?ml$/.test(name)).sort();
      files.push(...names.map((name) => path.join(entry, name)));
    } else {
      files.push(entry);
    }
  }
  return [...new Set(files)];
}

export interface Selection {
  loaded: LoadResult[];
  /** Why nothing was selected, when nothing was. */
  empty?: string;
}

export async function selectScenarios(options: { paths: readonly string[]; labels?: readonly string[]; suiteDir: string; catalog?: Catalog }): Promise<Selection> {
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const files = await expandScenarioPaths(options.paths.length > 0 ? options.paths : [options.suiteDir]);
  const loaded = await Promise.all(files.map((file) => loadScenarioFile(file, catalog)));
  const labels = options.labels ?? [];
  if (labels.length === 0) return { loaded, empty: loaded.length === 0 ? `no scenario files in ${options.paths.join(", ") || options.suiteDir}` : undefined };
  // Invalid files stay in the selection: a typo must not silently drop a scenario from the suite.
  const selected = loaded.filter((result) => !result.ok || result.scenario.metadata.labels.some((label) => labels.includes(label)));
  return { loaded: selected, empty: selected.length === 0 ? `no scenario labelled ${labels.join(" or ")} in ${files.length} file(s)` : undefined };
}

/**
 * What every command that acts on scenarios does first: select them, and refuse the whole selection when
 * any file is invalid (naming file:line:column), before anything touches a lab. `verb` completes
 * "nothing was …" in the message.
 */
export async function selectValidScenarios(
  options: { paths: readonly string[]; labels?: readonly string[]; suiteDir: string; catalog?: Catalog },
  io: CommandIo,
  verb: "run" | "planned",
): Promise<{ scenarios: LoadedScenario[] } | { exitCode: number }> {
  const { loaded, empty } = await selectScenarios(options);
  if (empty) {
    io.err(`error: ${empty}`);
    return { exitCode: EXIT_CODES.invalidInput };
  }
  const invalid = loaded.flatMap((result) => (result.ok ? [] : result.diagnostics));
  if (invalid.length > 0) {
    for (const diagnostic of invalid) io.err(formatDiagnostic(diagnostic));
    io.err(`nothing was ${verb}: fix the files above first`);
    return { exitCode: EXIT_CODES.invalidInput };
  }
  return { scenarios: loaded.filter((result): result is LoadedScenario => result.ok) };
}

/**
 * How `plan` and `run` are called (program.ts, the tests): the files named on the command line, the
 * selection and the command's own options, how it reaches the lab, and the terminal; resolves to the
 * exit code.
 */
export type ScenarioCommand<Options, Deps> = (
  paths: string[],
  options: Options & { suiteDir: string; labels?: string[] },
  deps: Deps,
  io: CommandIo,
) => Promise<number>;

/**
 * `plan` and `run`: the valid scenarios, then a connection to the running lab. A lab that cannot be
 * reached is exit 3 (broken), said in one line, after the files were checked.
 */
export async function selectAndConnect<Connection>(
  options: { paths: readonly string[]; labels?: readonly string[]; suiteDir: string; catalog: Catalog },
  connect: () => Promise<Connection>,
  io: CommandIo,
  verb: "run" | "planned",
): Promise<{ scenarios: LoadedScenario[]; connection: Connection } | { exitCode: number }> {
  const selection = await selectValidScenarios(options, io, verb);
  if ("exitCode" in selection) return selection;
  try {
    return { scenarios: selection.scenarios, connection: await connect() };
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return { exitCode: EXIT_CODES.brokenOrInconclusive };
  }
}
