/** Entry point of `chaoslab` (see program.ts for the commands); runs on import, as bin/chaoslab.mjs expects. */
import { buildProgram } from "./program.ts";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Commander already printed usage errors (exitOverride set the exit code); anything else is unexpected.
  if ((error as { code?: string }).code?.startsWith("commander.") !== true) {
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 3;
  }
}
