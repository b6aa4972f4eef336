/**
 * `chaoslab cleanup`: after a crash, replays every revert journal whose writer is gone (toxics removed,
 * brokers restarted, setup objects deleted), then audits the lab for leaks. Journals of a run that is
 * still alive are left alone unless `--force`. Exit 0 when everything is clean, 3 otherwise.
 */
import path from "node:path";
import type { StartedLab } from "../../../cluster/provider.ts";
import { DEFAULT_CATALOG, type Catalog } from "../../catalog.ts";
import { systemClock } from "../../core/clock.ts";
import type { KafkaReader, KubePort } from "../../core/ports.ts";
import { catalogReverters, defaultJournalDir, RevertJournal } from "../../core/journal.ts";
import { auditLeaks } from "../../engine/leak-audit.ts";
import { EXIT_CODES } from "../../../reports/results/verdict.ts";
import type { CommandIo } from "./io.ts";

export interface CleanupDeps {
  catalog?: Catalog;
  /** Attaches to the lab a journal was written against (by its state dir), or the current lab. */
  /** `kafka`: the direct listener, for reverts that wait on Kafka (a restarted broker catching up). */
  connect(stateDir?: string): Promise<{ lab: StartedLab; kube: KubePort; kafka?: KafkaReader; close(): Promise<void> }>;
  journalDir?: string;
}

export async function cleanupCommand(options: { force?: boolean }, deps: CleanupDeps, io: CommandIo): Promise<number> {
  const catalog = deps.catalog ?? DEFAULT_CATALOG;
  const dir = deps.journalDir ?? defaultJournalDir();
  const journals = await RevertJournal.list(dir);
  let problems = 0;
  const log = { info: (message: string) => io.err(message), warn: (message: string) => io.err(`warning: ${message}`) };
  const stateDirs = new Set<string | undefined>();

  for (const found of journals) {
    const name = path.basename(found.file);
    if (!found.journal) {
      problems += 1;
      io.err(`${name}: unreadable, left in place: ${found.error}`);
      continue;
    }
    const { contents } = found.journal;
    if (found.writerAlive && !options.force) {
      io.err(`${name}: run ${contents.runId} (${contents.scenario}) is still running as pid ${contents.pid}; left alone (--force to replay anyway)`);
      continue;
    }
    const pending = found.journal.pending();
    stateDirs.add(contents.lab.stateDir);
    if (pending.length === 0) {
      await found.journal.close();
      io.out(`${name}: nothing left to revert; removed`);
      continue;
    }
    let connection;
    try {
      connection = await deps.connect(contents.lab.stateDir);
    } catch (error) {
      problems += 1;
      io.err(`${name}: cannot reach the ${contents.lab.provider} lab at ${contents.lab.stateDir}: ${(error as Error).message}`);
      continue;
    }
    try {
      io.out(`${name}: reverting ${pending.length} action(s) of run ${contents.runId} (${contents.scenario})`);
      const report = await found.journal.replay(catalogReverters(catalog as never), { lab: connection.lab, kube: connection.kube, kafka: connection.kafka, clock: systemClock, log });
      for (const entry of report.reverted) io.out(`  reverted: ${entry.description}`);
      for (const entry of report.failed) io.out(`  FAILED:   ${entry.description}: ${entry.error}`);
      const { removed } = await found.journal.close();
      if (!removed) {
        problems += 1;
        io.err(`${name}: kept (${report.failed.length} revert(s) failed); fix the cause and run cleanup again`);
      }
      const leaks = await auditLeaks({ catalog, lab: connection.lab, ports: { kube: connection.kube } as never, clock: systemClock }, contents.runId, connection.lab.description.namespaces);
      for (const leak of leaks) io.out(`  leak: ${leak.what} (fix: ${leak.fix})`);
      problems += leaks.length;
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  if (stateDirs.size === 0) {
    // No journal: still look for what a run that crashed before journaling (or a hand-made toxic) left.
    try {
      const connection = await deps.connect();
      try {
        const leaks = await auditLeaks({ catalog, lab: connection.lab, ports: { kube: connection.kube } as never, clock: systemClock }, undefined, []);
        for (const leak of leaks) io.out(`leak: ${leak.what} (fix: ${leak.fix})`);
        problems += leaks.length;
      } finally {
        await connection.close().catch(() => undefined);
      }
    } catch (error) {
      io.err(`no journals in ${dir}; lab audit skipped: ${(error as Error).message}`);
    }
  }
  io.out(problems === 0 ? "clean" : `${problems} problem(s) remain`);
  return problems === 0 ? EXIT_CODES.passed : EXIT_CODES.brokenOrInconclusive;
}
