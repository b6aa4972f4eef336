import { afterAll, describe, expect, it } from "vitest";
import { CompressionTypes } from "kafkajs";
import { eventually } from "../testing/eventually.ts";
import { labFixture, uniqueName } from "../testing/lab-fixture.ts";

const fixture = labFixture();
const TOTAL = 10_000;
const BATCH = 100;
const topic = uniqueName("durability");

afterAll(async () => {
  const admin = fixture.kafkaDirect("cleanup").admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  // Whatever happened in the test, leave every broker running.
  for (const broker of await fixture.lab.brokers.list()) if (!broker.running) await fixture.lab.brokers.start(broker.nodeId);
});

describe("Kafka (3 KRaft nodes, RF 3, min.insync.replicas 2)", () => {
  it("loses no acknowledged record when a broker is SIGKILLed and restarted mid-stream", async () => {
    const kafka = fixture.kafkaDirect("durability-test");
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const victim = metadata.topics[0]!.partitions.find((partition) => partition.partitionId === 0)!.leader;
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const acked = new Set<number>();
    let killedAt = -1;
    let restartedAt = -1;
    for (let start = 0; start < TOTAL; start += BATCH) {
      if (start === 3_000) {
        await fixture.lab.brokers.kill(victim, "crash");
        killedAt = start;
        // Evidence the fault landed: the victim's process is gone while the stream goes on.
        expect((await fixture.lab.brokers.list()).find((broker) => broker.nodeId === victim)?.running).toBe(false);
      }
      if (start === 6_000) {
        await fixture.lab.brokers.start(victim);
        restartedAt = start;
      }
      const messages = Array.from({ length: BATCH }, (_, index) => {
        const seq = start + index;
        return { key: `task-${seq % 7}`, value: JSON.stringify({ seq }) };
      });
      // A batch that fails after the client's own retries is retried here: the producer is idempotent,
      // so a retry can only duplicate what the broker had not acknowledged to us.
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
          for (const message of messages) acked.add((JSON.parse(message.value) as { seq: number }).seq);
          break;
        } catch (error) {
          if (attempt >= 10) throw new Error(`batch ${start}…${start + BATCH - 1} not acknowledged after ${attempt} attempts: ${(error as Error).message}`);
        }
      }
    }
    await producer.disconnect();
    expect(killedAt).toBe(3_000);
    expect(restartedAt).toBe(6_000);
    expect(acked.size).toBe(TOTAL);

    const consumed = new Map<number, number>();
    const consumer = kafka.consumer({ groupId: uniqueName("durability-check"), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { seq } = JSON.parse(message.value!.toString()) as { seq: number };
        consumed.set(seq, (consumed.get(seq) ?? 0) + 1);
      },
    });
    await eventually(`all ${TOTAL} acknowledged records consumed`, async () => consumed.size, (size) => size >= acked.size, { timeoutMs: 60_000 });
    await consumer.disconnect();

    const lost = [...acked].filter((seq) => !consumed.has(seq));
    const duplicated = [...consumed.values()].filter((count) => count > 1).length;
    expect(lost).toEqual([]);
    // Idempotence: retries after the broker loss must not duplicate.
    expect(duplicated).toBe(0);
    // The victim came back and rejoined.
    expect((await fixture.lab.brokers.list()).every((broker) => broker.running)).toBe(true);
  });
});
