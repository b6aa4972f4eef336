/**
 * The connector's sink: one JSON line per consumed record, appended to SINK_FILE (ArangoDB itself is not
 * needed for the lab: what matters is what was consumed, once or more). On start the file is read back,
 * so duplicates are counted across connector restarts too.
 *
 * Two kinds of repeat are told apart:
 * - duplicate:   the topic holds the same (taskId, seq) twice — the producer side wrote it twice;
 * - redelivered: Kafka handed the connector a record it had already written (it died between writing
 *   the sink and committing the offset). Those are not written again: the sink stays exact.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { RangeSet } from "../ledger/range-set.ts";

export const sinkEntrySchema = z.object({
  taskId: z.string(),
  attempt: z.number().int().min(0),
  seq: z.number().int().min(0),
  partition: z.number().int().min(0),
  offset: z.string(),
  duplicate: z.boolean(),
  consumedAt: z.number(),
});
export type SinkEntry = z.infer<typeof sinkEntrySchema>;

export interface SinkStats {
  written: number;
  duplicates: number;
  tasks: number;
  /** Lines of the file that did not parse at load (a torn last line after a kill, typically). */
  unreadableLines: number;
}

export class SinkFile {
  private readonly seen = new Map<string, RangeSet>();
  /** Highest offset written per partition: a record at or below it that we have seen is a redelivery. */
  private readonly highestOffset = new Map<number, bigint>();
  private stats: SinkStats = { written: 0, duplicates: 0, tasks: 0, unreadableLines: 0 };

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<SinkFile> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, "a+");
    const sink = new SinkFile(file, handle);
    await sink.load();
    return sink;
  }

  get summary(): SinkStats {
    return { ...this.stats, tasks: this.seen.size };
  }

  /** Per-task distinct sequence numbers seen, as compact ranges (for the stats log). */
  seenRanges(): Record<string, string> {
    return Object.fromEntries([...this.seen].map(([taskId, set]) => [taskId, set.toString()]));
  }

  isRedelivery(taskId: string, seq: number, partition: number, offset: string): boolean {
    const highest = this.highestOffset.get(partition);
    return highest !== undefined && BigInt(offset) <= highest && (this.seen.get(taskId)?.contains(seq) ?? false);
  }

  /** Classifies and writes records; resolves once the lines are in the file (then offsets may be committed). */
  async append(records: Omit<SinkEntry, "duplicate">[]): Promise<SinkEntry[]> {
    if (records.length === 0) return [];
    const entries = records.map((record) => this.remember({ ...record, duplicate: false }));
    await this.handle.appendFile(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
    return entries;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private remember(entry: SinkEntry): SinkEntry {
    let set = this.seen.get(entry.taskId);
    if (!set) this.seen.set(entry.taskId, (set = new RangeSet()));
    const duplicate = set.contains(entry.seq);
    set.add(entry.seq);
    const offset = BigInt(entry.offset);
    if ((this.highestOffset.get(entry.partition) ?? -1n) < offset) this.highestOffset.set(entry.partition, offset);
    this.stats.written += 1;
    if (duplicate) this.stats.duplicates += 1;
    return { ...entry, duplicate };
  }

  private async load(): Promise<void> {
    const lines = createInterface({ input: createReadStream(this.file, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      let parsed: ReturnType<typeof sinkEntrySchema.safeParse>;
      try {
        parsed = sinkEntrySchema.safeParse(JSON.parse(line));
      } catch {
        this.stats.unreadableLines += 1;
        continue;
      }
      if (!parsed.success) {
        this.stats.unreadableLines += 1;
        continue;
      }
      this.remember(parsed.data);
    }
  }
}
