import { describe, expect, it } from "vitest";
import { LAB_TOPICS } from "../topics.ts";
import { type TopicsAdmin, ensureLabTopics } from "./lab-topics.ts";

class ConnectionClosed extends Error {
  override name = "KafkaJSConnectionClosedError";
}

/** A Kafka of `brokers` node ids whose createTopics drops the connection the first `drops` times (after creating, as a real broker may). */
function fakeKafka(brokers: number[], drops: number) {
  const topics = new Set<string>();
  const calls = { connects: 0, disconnects: 0, creates: 0 };
  const admin = (): TopicsAdmin => ({
    connect: async () => void calls.connects++,
    disconnect: async () => void calls.disconnects++,
    describeCluster: async () => ({ brokers: brokers.map((nodeId) => ({ nodeId })) }),
    listTopics: async () => [...topics],
    createTopics: async ({ topics: wanted }) => {
      calls.creates++;
      for (const topic of wanted) topics.add(topic.topic);
      if (calls.creates <= drops) throw new ConnectionClosed("Closed connection");
      return true;
    },
  });
  return { admin, topics, calls };
}

describe("ensureLabTopics", () => {
  it("creates every lab topic and returns the node ids", async () => {
    const kafka = fakeKafka([2, 0, 1], 0);
    expect(await ensureLabTopics(["127.0.0.1:1"], { expectBrokers: 3, admin: kafka.admin })).toEqual([0, 1, 2]);
    expect([...kafka.topics].sort()).toEqual(LAB_TOPICS.map((topic) => topic.topic).sort());
    expect(kafka.calls.disconnects).toBe(kafka.calls.connects);
  });

  it("tries again with a fresh client when a broker closes the connection mid-creation, and says so", async () => {
    const kafka = fakeKafka([0, 1, 2], 2);
    const lines: string[] = [];
    expect(await ensureLabTopics(["127.0.0.1:1"], { expectBrokers: 3, admin: kafka.admin, log: (line) => lines.push(line), timeoutMs: 30_000 })).toEqual([0, 1, 2]);
    // The topics were created by the first (dropped) attempt: the later attempts find nothing missing.
    expect(kafka.calls.creates).toBe(1);
    expect(kafka.calls.connects).toBe(2);
    expect(lines.join("\n")).toMatch(/attempt 1 failed \(KafkaJSConnectionClosedError: Closed connection\)/);
  });

  it("fails by the deadline naming the last error and where to look", async () => {
    const admin = (): TopicsAdmin => ({
      connect: async () => {
        throw new ConnectionClosed("Closed connection");
      },
      disconnect: async () => {},
      describeCluster: async () => ({ brokers: [] }),
      listTopics: async () => [],
      createTopics: async () => true,
    });
    await expect(ensureLabTopics(["127.0.0.1:1"], { admin, timeoutMs: 1500, where: "the broker logs" })).rejects.toThrow(
      /Kafka at 127\.0\.0\.1:1: the lab's topics could not be created within 1\.5 s \(\d+ attempt\(s\)\); last error: KafkaJSConnectionClosedError: Closed connection; see the broker logs/,
    );
  });

  it("fails by the deadline when too few brokers registered", async () => {
    const kafka = fakeKafka([0, 1], 0);
    await expect(ensureLabTopics(["127.0.0.1:1"], { expectBrokers: 3, admin: kafka.admin, timeoutMs: 500 })).rejects.toThrow(/2 broker\(s\) registered of 3 within 0\.5 s/);
    expect(kafka.calls.creates).toBe(0);
  });
});
