/**
 * Prints the Kafka ledger of a cluster as JSON: reads every `loader-ledger` record and every
 * `loader-data` record written so far, and runs `computeLedgerFromRecords`. The reference for the
 * harness's `kafka.ledger` probe, and a debugging tool:
 *
 *   node --import tsx workloads/ledger/ledger-report.ts --brokers 127.0.0.1:39092 [--tasks t1,t2] [--timeout 60s]
 */
import { parseArgs } from "node:util";
import { parseDataRecord, DATA_TOPIC } from "./data-record.ts";
import { LEDGER_TOPIC, parseLedgerRecord, type LedgerRecord } from "./ledger-record.ts";
import { computeLedgerFromRecords, consumedRecord, type ConsumedRecord, type LedgerSummary } from "./compute.ts";
import { requireDuration } from "../queue-events/duration.ts";
import { createKafka, parseBrokers, type Kafka } from "../shared/kafka-client.ts";
import { createLogger } from "../shared/logger.ts";
import { readTopicToEnd, TopicNotFoundError } from "../shared/read-topic.ts";

export interface LedgerReadOptions {
  ledgerTopic?: string;
  dataTopic?: string;
  taskIds?: string[];
  timeoutMs?: number;
}

export async function readLedgerSummary(kafka: Kafka, options: LedgerReadOptions = {}): Promise<LedgerSummary> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const scope = options.taskIds ? new Set(options.taskIds) : undefined;
  const records: LedgerRecord[] = [];
  const consumed: ConsumedRecord[] = [];
  let invalidRecords = 0;
  const read = async (topic: string, onValue: (value: Buffer | null, partition: number) => void) => {
    try {
      await readTopicToEnd(kafka, { topic, timeoutMs, groupPrefix: "ledger-report" }, (message, partition) => onValue(message.value, partition));
    } catch (error) {
      if (!(error instanceof TopicNotFoundError)) throw error;
    }
  };
  await read(options.ledgerTopic ?? LEDGER_TOPIC, (value) => {
    const parsed = parseLedgerRecord(value);
    if (!parsed.ok) invalidRecords += 1;
    else if (!scope || scope.has(parsed.record.taskId)) records.push(parsed.record);
  });
  await read(options.dataTopic ?? DATA_TOPIC, (value, partition) => {
    const parsed = parseDataRecord(value);
    if (!parsed.ok) invalidRecords += 1;
    else consumed.push(consumedRecord(parsed.record, partition));
  });
  const summary = computeLedgerFromRecords(records, consumed, options.taskIds);
  return { ...summary, invalidRecords: summary.invalidRecords + invalidRecords };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      brokers: { type: "string", default: process.env["KAFKA_BROKERS"] },
      tasks: { type: "string" },
      timeout: { type: "string", default: "60s" },
    },
  });
  const logger = createLogger("ledger-report");
  logger.level = process.env["LOG_LEVEL"] ?? "warn";
  const kafka = createKafka({ brokers: parseBrokers(values.brokers, "--brokers"), clientId: "ledger-report", logger });
  const summary = await readLedgerSummary(kafka, {
    taskIds: values.tasks ? values.tasks.split(",").map((task) => task.trim()).filter(Boolean) : undefined,
    timeoutMs: requireDuration(values.timeout!, "--timeout"),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
