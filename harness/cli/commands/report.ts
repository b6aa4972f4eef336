/**
 * `chaoslab report` (and `make report`): re-renders the HTML report from the last results in
 * allure-results/ — no lab needed. Exit 0 rendered; 2 nothing to render (or an output directory it
 * must not overwrite); 3 rendering failed.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { processIo, type CommandIo } from "./io.ts";
import { renderReport, ReportInputError, type RenderOptions } from "../../../reports/render.ts";

export interface ReportCommandOptions {
  results?: string;
  out?: string;
  history?: string;
}

export async function reportCommand(options: ReportCommandOptions, io: CommandIo, render: (options: RenderOptions) => ReturnType<typeof renderReport> = renderReport): Promise<number> {
  try {
    const report = await render({ resultsDir: options.results, outDir: options.out, historyFile: options.history });
    io.out(`report: ${path.relative(process.cwd(), report.indexFile) || report.indexFile} (${report.results} result${report.results === 1 ? "" : "s"})`);
    io.out(`open:   ${pathToFileURL(report.indexFile).href}`);
    for (const warning of report.warnings) io.err(`warning: ${warning}`);
    io.err(report.historyAppended ? `history: ${report.historyFile} (+1 run)` : `history: ${report.historyFile} (these results were rendered before; no new trend point)`);
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return error instanceof ReportInputError ? 2 : 3;
  }
}

export function registerReportCommand(program: Command, io: CommandIo = processIo): void {
  program
    .command("report")
    .description("render the HTML report (Allure Report 3, one self-contained file) from the last scenario results in reports/out/allure-results/, with history for trends")
    .option("--results <dir>", "Allure results to render (default: reports/out/allure-results/)")
    .option("--out <dir>", "where index.html goes (default: reports/out/html/)")
    .option("--history <file>", "history file for trends (default: $CHAOSLAB_REPORT_HISTORY or reports/out/history/history.jsonl)")
    .action(async (options: ReportCommandOptions) => {
      process.exitCode = await reportCommand(options, io);
    });
}
