/**
 * Reads one task's ledger from `loader-ledger` at start, so that a pod retry of the same Job or the
 * healer's replacement resumes the task instead of starting over. Only the partition the task's key
 * hashes to is read (same murmur2 partitioner as the producer), up to its high watermark at start.
 */
import kafkajs from "kafkajs";
import { parseLedgerRecord } from "../ledger/ledger-record.ts";
import { RangeSet } from "../ledger/range-set.ts";
import { withTimeout } from "../shared/backoff.ts";
import type { Kafka } from "../shared/kafka-client.ts";
import type { Logger } from "../shared/logger.ts";
import { readTopicToEnd } from "../shared/read-topic.ts";

const { Partitioners } = kafkajs;

export interface LedgerReadResult {
  acked: RangeSet;
  records: number;
  invalid: number;
  partition: number | undefined;
}

export interface LedgerReaderOptions {
  topic: string;
  taskId: string;
  timeoutMs: number;
  logger: Logger;
}

export async function readTaskLedger(kafka: Kafka, options: LedgerReaderOptions): Promise<LedgerReadResult> {
  const { topic, taskId, timeoutMs, logger } = options;
  const partition = await partitionOfKey(kafka, topic, taskId, timeoutMs);
  if (partition === undefined) {
    logger.warn(
      { topic },
      `ledger topic ${topic} does not exist yet: nothing to resume (the lab creates it; a broker that auto-creates topics creates it on the first write)`,
    );
    return { acked: new RangeSet(), records: 0, invalid: 0, partition };
  }
  const acked = new RangeSet();
  let records = 0;
  let invalid = 0;
  await readTopicToEnd(kafka, { topic, partitions: [partition], timeoutMs, groupPrefix: `loader-ledger-reader.${taskId}` }, (message) => {
    if (message.key?.toString("utf8") !== taskId) return;
    const parsed = parseLedgerRecord(message.value);
    if (!parsed.ok) {
      invalid += 1;
      return;
    }
    records += 1;
    for (const [first, last] of parsed.record.acked) acked.addRange(first, last);
    for (const [first, last] of parsed.record.inherited) acked.addRange(first, last);
  });
  if (invalid > 0) logger.warn({ invalid, topic, partition }, "skipped ledger records that do not parse");
  return { acked, records, invalid, partition };
}

/** The partition the default (murmur2) partitioner puts `key` in; undefined when the topic does not exist. */
async function partitionOfKey(kafka: Kafka, topic: string, key: string, timeoutMs: number): Promise<number | undefined> {
  const admin = kafka.admin();
  try {
    const connected = await withTimeout(admin.connect(), timeoutMs);
    if (!connected.done) throw new Error(`ledger ${topic}: connecting the admin client timed out after ${timeoutMs} ms`);
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitionMetadata = metadata.topics[0]?.partitions ?? [];
    if (partitionMetadata.length === 0) throw new Error(`ledger ${topic}: metadata lists no partitions`);
    return Partitioners.DefaultPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
  } finally {
    await withTimeout(admin.disconnect(), 1000);
  }
}
