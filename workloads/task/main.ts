/**
 * `chaoslab/task`: the smallest lab image — runs for RUN_MS, then exits with EXIT_CODE. Used to prove
 * Job semantics (completions, backoffLimit, deletion) through the process runtime, and by scenarios that
 * need a pod that is not a StreamForge workload. SIGTERM ends it at once with 143, as a shell would.
 */
const runMs = Number(process.env.RUN_MS ?? "500");
const exitCode = Number(process.env.EXIT_CODE ?? "0");
if (!Number.isFinite(runMs) || runMs < 0 || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
  process.stderr.write(`task: RUN_MS must be a number ≥ 0 and EXIT_CODE an integer 0–255 (got RUN_MS=${process.env.RUN_MS}, EXIT_CODE=${process.env.EXIT_CODE})\n`);
  process.exit(2);
}
process.stdout.write(`task ${process.env.HOSTNAME ?? "?"}: running ${runMs} ms, then exit ${exitCode}\n`);
process.on("SIGTERM", () => {
  // IGNORE_SIGTERM=1 plays a process that hangs on shutdown: only SIGKILL after the grace period ends it.
  process.stdout.write(`task: SIGTERM${process.env.IGNORE_SIGTERM === "1" ? " (ignored)" : ""}\n`);
  if (process.env.IGNORE_SIGTERM !== "1") process.exit(143);
});
setTimeout(() => process.exit(exitCode), runMs);
