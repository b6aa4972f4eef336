/** `chaoslab validate <files...>`: schema-check scenario files; exit 2 with file:line:column on any error. */
import { EXIT_CODES } from "../../../reports/results/verdict.ts";
import { formatDiagnostic } from "../../scenario/loader.ts";
import type { CommandIo } from "./io.ts";
import { selectScenarios } from "./scenario-files.ts";

export async function validateCommand(paths: string[], options: { suiteDir: string; quiet?: boolean }, io: CommandIo): Promise<number> {
  const { loaded, empty } = await selectScenarios({ paths, suiteDir: options.suiteDir });
  if (empty) {
    io.err(`error: ${empty}`);
    return EXIT_CODES.invalidInput;
  }
  let invalid = 0;
  for (const result of loaded) {
    if (result.ok) {
      if (!options.quiet) io.out(`${result.file}: ok (${result.scenario.metadata.name})`);
    } else {
      invalid += 1;
      for (const diagnostic of result.diagnostics) io.err(formatDiagnostic(diagnostic));
    }
  }
  if (!options.quiet || invalid > 0) io.err(`${loaded.length - invalid} valid, ${invalid} invalid`);
  return invalid > 0 ? EXIT_CODES.invalidInput : EXIT_CODES.passed;
}
