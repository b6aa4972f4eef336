/** Entry point of `chaoslab` (see program.ts for the commands); runs on import, as bin/chaoslab.mjs expects. */
import { buildProgram } from "./program.ts";

/**
 * Once the command has returned, its outputs are written; something still holding the event loop (a
 * client library's timer or socket) must not keep the process, and whoever waits on it, for minutes —
 * measured: `chaoslab chaos` lingered 7 min after its summary once. After this grace the process exits,
 * naming what was still open so it can be fixed where it was opened.
 */
const EXIT_GRACE_MS = 10_000;

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Commander already printed usage errors (exitOverride set the exit code); anything else is unexpected.
  if ((error as { code?: string }).code?.startsWith("commander.") !== true) {
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 3;
  }
}

// Unref'd: it never keeps the process alive itself, it only fires while something else does.
setTimeout(() => {
  const open = process.getActiveResourcesInfo().filter((resource) => resource !== "TTYWrap");
  process.stderr.write(`warning: chaoslab finished ${EXIT_GRACE_MS / 1000} s ago but ${open.length} handle(s) were still open (${[...new Set(open)].join(", ")}); exiting\n`);
  process.exit();
}, EXIT_GRACE_MS).unref();
