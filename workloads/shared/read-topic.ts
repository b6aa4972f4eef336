/**
 * Reads a topic (or some of its partitions) from the beginning up to the high watermarks taken at the
 * start, then stops: "everything written so far". kafkajs has no manual partition assignment, so this
 * joins a throw-away consumer group (unique id, never commits) and leaves it at the end. Joining a new
 * group costs the broker's `group.initial.rebalance.delay.ms` (3 s by default) once per call.
 */
import { randomUUID } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import { withTimeout } from "./backoff.ts";
import type { Kafka } from "./kafka-client.ts";

export interface ReadTopicOptions {
  topic: string;
  /** Only these partitions (default: all). */
  partitions?: number[];
  timeoutMs: number;
  /** Prefix of the throw-away group id (shows up in broker logs and `kafka-consumer-groups`). */
  groupPrefix: string;
}

export interface ReadTopicResult {
  /** Partition → high watermark read up to (exclusive). */
  highWatermarks: Map<number, bigint>;
  messages: number;
}

export class TopicNotFoundError extends Error {
  override name = "TopicNotFoundError";
}

export async function readTopicToEnd(
  kafka: Kafka,
  options: ReadTopicOptions,
  onMessage: (message: KafkaMessage, partition: number) => void,
): Promise<ReadTopicResult> {
  const { topic, timeoutMs } = options;
  const admin = kafka.admin();
  const pending = new Map<number, bigint>();
  const highWatermarks = new Map<number, bigint>();
  try {
    const connected = await withTimeout(admin.connect(), timeoutMs);
    if (!connected.done) throw new Error(`reading ${topic}: connecting the admin client timed out after ${timeoutMs} ms`);
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new TopicNotFoundError(`topic ${topic} does not exist`);
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (options.partitions && !options.partitions.includes(partition)) continue;
      highWatermarks.set(partition, BigInt(high));
      if (BigInt(high) > BigInt(low)) pending.set(partition, BigInt(high));
    }
  } finally {
    await withTimeout(admin.disconnect(), 1000);
  }
  if (pending.size === 0) return { highWatermarks, messages: 0 };

  let messages = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
    retry: { retries: 3 },
  });
  try {
    // Bound everything, the group join included: kafkajs's consumer.run() only returns once joined.
    const finished = await withTimeout(
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const high = pending.get(batch.partition);
            if (high === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= high) break;
              messages += 1;
              onMessage(message, batch.partition);
            }
            if (BigInt(batch.lastOffset()) >= high - 1n || batch.offsetLag() === "0") {
              pending.delete(batch.partition);
              if (pending.size === 0) resolveDone();
            }
          },
        });
        await done;
      })(),
      timeoutMs,
    );
    if (!finished.done) {
      throw new Error(
        `reading ${topic}: partitions ${[...pending.keys()].join(", ")} not read to their high watermark within ${timeoutMs} ms`,
      );
    }
  } finally {
    await withTimeout(consumer.disconnect(), 2000);
  }
  return { highWatermarks, messages };
}
