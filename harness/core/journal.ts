/**
 * The revert journal: how to undo every mutation of a run, on disk before the mutation happens
 * (`.chaoslab/journal/<runId>.json`, written atomically and fsynced). It is replayed at the end of each
 * fault, when the scenario ends however it ends (pass, failure, SIGINT/SIGTERM, timeout), and by
 * `chaoslab cleanup` after a crash. Entries are data only — `{owner, type, action}` — and are reverted
 * through the module that wrote them (looked up in the catalog), so a fresh process can replay them.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../../cluster/images.ts";
import type { RevertContext } from "./context.ts";

export const JOURNAL_VERSION = 1;
/** A revert that hangs (a broker that never comes back) must not hang the run or `cleanup` forever. */
export const REVERT_TIMEOUT_MS = 120_000;

export function defaultJournalDir(): string {
  return process.env.CHAOSLAB_JOURNAL_DIR ?? path.join(REPO_ROOT, ".chaoslab", "journal");
}

export const journalEntrySchema = z
  .object({
    id: z.string(),
    /** Who wrote it: a fault (reverted at the fault's end) or a setup action (removed at teardown). */
    owner: z.enum(["fault", "setup"]),
    /** Fault type or setup-action kind: the module whose `revert` undoes it. */
    type: z.string(),
    /** Fault name or `setup[i]`. */
    element: z.string(),
    description: z.string(),
    action: z.unknown(),
    recordedAt: z.number(),
    state: z.enum(["pending", "reverted", "failed"]),
    revertedAt: z.number().optional(),
    error: z.string().optional(),
  })
  .strict();

export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const journalFileSchema = z
  .object({
    version: z.literal(JOURNAL_VERSION),
    runId: z.string(),
    scenario: z.string(),
    scenarioFile: z.string().optional(),
    pid: z.number().int(),
    hostname: z.string(),
    startedAt: z.number(),
    /** Which lab the mutations went to, so `cleanup` attaches to the same one. */
    lab: z.object({ provider: z.string(), stateDir: z.string(), kubeconfig: z.string() }).strict(),
    entries: z.array(journalEntrySchema),
  })
  .strict();

export type JournalFile = z.infer<typeof journalFileSchema>;

/** How the replayer finds the module that can undo an entry. */
export interface Reverter {
  revertAction: z.ZodType;
  revert(action: unknown, ctx: RevertContext): Promise<void>;
}
export type ReverterLookup = (owner: JournalEntry["owner"], type: string) => Reverter | undefined;

export interface ReplayReport {
  reverted: JournalEntry[];
  failed: JournalEntry[];
}

export class RevertJournal {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private data: JournalFile,
  ) {}

  static async create(options: { dir: string; runId: string; scenario: string; scenarioFile?: string; lab: JournalFile["lab"]; now: number }): Promise<RevertJournal> {
    await fs.mkdir(options.dir, { recursive: true });
    const journal = new RevertJournal(path.join(options.dir, `${options.runId}.json`), {
      version: JOURNAL_VERSION,
      runId: options.runId,
      scenario: options.scenario,
      scenarioFile: options.scenarioFile,
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: options.now,
      lab: options.lab,
      entries: [],
    });
    await journal.persist();
    return journal;
  }

  static async open(file: string): Promise<RevertJournal> {
    const text = await fs.readFile(file, "utf8");
    const parsed = journalFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`${file}: not a revert journal of version ${JOURNAL_VERSION}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
    }
    return new RevertJournal(file, parsed.data);
  }

  /** Journals in `dir`, with whether the process that wrote each is still alive on this host. */
  static async list(dir: string): Promise<{ file: string; journal?: RevertJournal; error?: string; writerAlive: boolean }[]> {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const found = [];
    for (const name of names.filter((candidate) => candidate.endsWith(".json")).sort()) {
      const file = path.join(dir, name);
      try {
        const journal = await RevertJournal.open(file);
        found.push({ file, journal, writerAlive: journal.data.hostname === os.hostname() && processAlive(journal.data.pid) && journal.data.pid !== process.pid });
      } catch (error) {
        found.push({ file, error: (error as Error).message, writerAlive: false });
      }
    }
    return found;
  }

  get contents(): Readonly<JournalFile> {
    return this.data;
  }

  pending(filter: (entry: JournalEntry) => boolean = () => true): JournalEntry[] {
    return this.data.entries.filter((entry) => entry.state !== "reverted" && filter(entry));
  }

  /** Appends an entry and returns only once it is durably on disk: call BEFORE mutating. */
  async record(entry: Pick<JournalEntry, "owner" | "type" | "element" | "description" | "action">, now: number): Promise<JournalEntry> {
    const full: JournalEntry = { id: randomUUID(), ...entry, recordedAt: now, state: "pending" };
    this.data.entries.push(full);
    await this.persist();
    return full;
  }

  /**
   * Reverts pending (and previously failed) entries matching `filter`, newest first, each through its
   * module with a timeout; a failing revert does not stop the others. The file is updated after each.
   */
  async replay(lookup: ReverterLookup, ctx: RevertContext, filter: (entry: JournalEntry) => boolean = () => true): Promise<ReplayReport> {
    const report: ReplayReport = { reverted: [], failed: [] };
    for (const entry of this.pending(filter).reverse()) {
      try {
        const reverter = lookup(entry.owner, entry.type);
        if (!reverter) throw new Error(`no ${entry.owner} module "${entry.type}" knows how to revert this (was the harness changed since the run?)`);
        const action = reverter.revertAction.parse(entry.action);
        await withTimeout(reverter.revert(action, ctx), REVERT_TIMEOUT_MS, `reverting "${entry.description}"`);
        entry.state = "reverted";
        entry.revertedAt = ctx.clock.now();
        delete entry.error;
        report.reverted.push(entry);
      } catch (error) {
        entry.state = "failed";
        entry.error = (error as Error).message;
        report.failed.push(entry);
        ctx.log.warn(`revert failed: ${entry.description}: ${entry.error}`);
      }
      await this.persist();
    }
    return report;
  }

  /** Deletes the file when nothing is left to revert; otherwise keeps it for `chaoslab cleanup`. */
  async close(): Promise<{ removed: boolean }> {
    await this.writing;
    if (this.pending().length > 0) return { removed: false };
    await fs.rm(this.file, { force: true });
    return { removed: true };
  }

  private persist(): Promise<void> {
    const snapshot = `${JSON.stringify(this.data, null, 2)}\n`;
    this.writing = this.writing.then(() => writeDurably(this.file, snapshot));
    return this.writing;
  }
}

async function writeDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temporary, "w");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The catalog as a reverter lookup: faults by type, setup actions by kind. */
export function catalogReverters(catalog: {
  faults: readonly { type: string; revertAction: z.ZodType; revert(action: never, ctx: RevertContext): Promise<void> }[];
  setup: readonly { kind: string; revertAction: z.ZodType; revert(action: never, ctx: RevertContext): Promise<void> }[];
}): ReverterLookup {
  return (owner, type) => {
    const found = owner === "fault" ? catalog.faults.find((fault) => fault.type === type) : catalog.setup.find((action) => action.kind === type);
    return found as Reverter | undefined;
  };
}
