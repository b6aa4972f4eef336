/**
 * The lab's topics through Kafka's admin API, for Kafkas the lab does not manage with an operator (the
 * sim's processes, a plain StatefulSet, a Kafka outside the cluster): waits until the expected brokers
 * registered, creates what is missing (replication 3, or fewer on a smaller cluster), and returns the
 * node ids the cluster reports.
 */
import { Kafka, logLevel } from "kafkajs";
import { LAB_TOPICS } from "../topics.ts";

export async function ensureLabTopics(bootstrap: string[], options: { expectBrokers?: number; timeoutMs?: number; where?: string } = {}): Promise<number[]> {
  const kafka = new Kafka({ clientId: "chaoslab-lab-up", brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 200 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let brokers: number[] = [];
    for (;;) {
      const cluster = await admin.describeCluster().catch(() => undefined);
      brokers = (cluster?.brokers ?? []).map((broker) => broker.nodeId).sort((a, b) => a - b);
      if (brokers.length > 0 && (options.expectBrokers === undefined || brokers.length === options.expectBrokers)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `Kafka at ${bootstrap.join(",")}: ${brokers.length} broker(s) registered${options.expectBrokers ? ` of ${options.expectBrokers}` : ""} within ${(options.timeoutMs ?? 60_000) / 1000} s` +
            (options.where ? `; see ${options.where}` : ""),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const existing = new Set(await admin.listTopics());
    const missing = LAB_TOPICS.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((topic) => ({ ...topic, replicationFactor: Math.min(3, brokers.length) })), waitForLeaders: true });
    }
    return brokers;
  } finally {
    await admin.disconnect();
  }
}
