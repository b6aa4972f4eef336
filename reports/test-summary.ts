/**
 * Totals the JSON reports of the test runs (reports/out/tests/*.json) and prints the closing line CI
 * reads: `N passed, N failed` (with `, N skipped`, and `; not run: <project>` for a project that could not run
 * here). Exits 1 when anything failed or nothing ran.
 */
import fs from "node:fs";
import path from "node:path";

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const dir = process.argv[2] ?? "reports/out/tests";
const all = fs.existsSync(dir) ? fs.readdirSync(dir).filter((file) => file.endsWith(".json")) : [];
// A project that could not run here (kind without a Docker engine) leaves `<project>.not-run.json`: named, never counted as passed.
const notRun = all.filter((file) => file.endsWith(".not-run.json"));
const files = all.filter((file) => !notRun.includes(file));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as VitestJsonReport;
  passed += report.numPassedTests;
  // A file that failed to load has no failed test but a failed suite: count it, or it would vanish.
  failed += Math.max(report.numFailedTests, report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  skipped += report.numPendingTests + report.numTodoTests;
  process.stdout.write(`${file.replace(/\.json$/, "")}: ${report.numPassedTests} passed, ${report.numFailedTests} failed\n`);
}
for (const file of notRun) {
  const { project, reason } = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { project: string; reason: string };
  process.stdout.write(`${project}: not run (${reason})\n`);
}
if (files.length === 0) process.stdout.write(`no test reports in ${dir}\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${notRun.length ? `; not run: ${notRun.map((file) => file.replace(/\.not-run\.json$/, "")).join(", ")}` : ""}\n`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
