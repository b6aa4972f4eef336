/**
 * The ledger feed over Kafka (kafkajs, direct listener): one consumer with a throw-away group reads
 * `loader-ledger` and `loader-data` from the beginning and keeps the records produced since the run
 * started (record CreateTime ≥ run start − tolerance), so earlier runs on the same topics do not count.
 *
 * NEEDS LAB VERIFICATION: written against kafkajs 2.2.4 and the workloads' contracts; not yet run
 * against real brokers.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer, type Admin } from "kafkajs";
import { HARNESS_FETCH_WAIT_MS } from "../../lab/kafka-client.ts";
import { DATA_TOPIC, parseDataRecord } from "../../../workloads/ledger/data-record.ts";
import { LEDGER_TOPIC, parseLedgerRecord, type LedgerRecord } from "../../../workloads/ledger/ledger-record.ts";
import { consumedRecord, type ConsumedRecord } from "../../../workloads/ledger/compute.ts";
import type { LedgerFeed, LedgerSnapshot } from "./ledger-feed.ts";

/** Producers share the machine's clock on the sim; on kind, nodes are NTP-synced hosts. */
const CLOCK_TOLERANCE_MS = 1_000;

export async function createKafkaLedgerFeed(options: { brokers: string[]; runStartedAt: number; clientId?: string }): Promise<LedgerFeed> {
  const kafka = new Kafka({ clientId: options.clientId ?? "chaoslab-harness-ledger", brokers: options.brokers, logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  // A short long-poll: closing at the scenario's end waits for the fetch in flight (HARNESS_FETCH_WAIT_MS).
  const consumer: Consumer = kafka.consumer({ groupId: `chaoslab-ledger-${randomUUID()}`, sessionTimeout: 10_000, maxWaitTimeInMs: HARNESS_FETCH_WAIT_MS });
  const records: LedgerRecord[] = [];
  const consumed: ConsumedRecord[] = [];
  const positions = new Map<string, bigint>();
  let invalidRecords = 0;
  const since = options.runStartedAt - CLOCK_TOLERANCE_MS;

  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [LEDGER_TOPIC, DATA_TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      positions.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      if (Number(message.timestamp) < since) return;
      if (topic === LEDGER_TOPIC) {
        const parsed = parseLedgerRecord(message.value);
        if (parsed.ok) records.push(parsed.record);
        else invalidRecords += 1;
      } else {
        const parsed = parseDataRecord(message.value);
        if (parsed.ok) consumed.push(consumedRecord(parsed.record, partition));
        else invalidRecords += 1;
      }
    },
  });

  return {
    async snapshot(): Promise<LedgerSnapshot> {
      const behind: string[] = [];
      let read = 0;
      let end = 0;
      for (const topic of [LEDGER_TOPIC, DATA_TOPIC]) {
        for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
          const highOffset = BigInt(high);
          const position = positions.get(`${topic}/${partition}`) ?? BigInt(low);
          end += Number(highOffset);
          read += Number(position > highOffset ? highOffset : position);
          if (position < highOffset) behind.push(`${topic}-${partition} at ${position}/${highOffset}`);
        }
      }
      return {
        caughtUp: behind.length === 0,
        detail: behind.length === 0 ? `read ${read}/${end} offsets` : `behind: ${behind.slice(0, 4).join(", ")}${behind.length > 4 ? ", ..." : ""}`,
        records: [...records],
        consumed: [...consumed],
        invalidRecords,
      };
    },
    async close() {
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}
