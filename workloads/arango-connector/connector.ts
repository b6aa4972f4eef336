/**
 * What the connector does with one fetched batch of `loader-data`, without Kafka: parse, skip
 * redeliveries, write the sink, report what to commit. `main.ts` feeds it from a kafkajs consumer and
 * commits the returned offset only after this resolved (the sink is written before the offset moves).
 */
import { parseDataRecord } from "../ledger/data-record.ts";
import type { Logger } from "../shared/logger.ts";
import type { SinkFile } from "./sink-file.ts";

export interface BatchMessage {
  offset: string;
  value: Buffer | null;
}

export interface ConnectorCounters {
  consumed: number;
  written: number;
  duplicates: number;
  redelivered: number;
  invalid: number;
}

export class Connector {
  readonly counters: ConnectorCounters = { consumed: 0, written: 0, duplicates: 0, redelivered: 0, invalid: 0 };

  constructor(
    private readonly sink: SinkFile,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the batch to the sink; returns the offset to commit (last + 1), or undefined for an empty batch. */
  async handleBatch(partition: number, messages: BatchMessage[]): Promise<string | undefined> {
    const consumedAt = this.now();
    const records = [];
    for (const message of messages) {
      this.counters.consumed += 1;
      const parsed = parseDataRecord(message.value);
      if (!parsed.ok) {
        this.counters.invalid += 1;
        this.logger.warn({ partition, offset: message.offset, reason: parsed.reason, detail: parsed.detail }, "skipping a record that does not parse");
        continue;
      }
      const { taskId, attempt, seq } = parsed.record;
      if (this.sink.isRedelivery(taskId, seq, partition, message.offset)) {
        this.counters.redelivered += 1;
        continue;
      }
      records.push({ taskId, attempt, seq, partition, offset: message.offset, consumedAt });
    }
    const entries = await this.sink.append(records);
    this.counters.written += entries.length;
    this.counters.duplicates += entries.filter((entry) => entry.duplicate).length;
    const last = messages.at(-1);
    return last ? (BigInt(last.offset) + 1n).toString() : undefined;
  }
}
