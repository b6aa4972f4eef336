/**
 * KafkaReader over kafkajs 2.2.4 admin: metadata, partition states and group lag. Short timeouts and
 * one retry: a probe that hangs is worse than a probe that says "no data" and tries again next poll.
 */
import { Kafka, logLevel, type Admin } from "kafkajs";
import type { BrokerAddress, GroupLag, KafkaReader, PartitionState } from "../core/ports.ts";
import { describeQuorumLeader } from "./kafka-quorum.ts";
import { parseHostAddress } from "../../cluster/provider.ts";

/**
 * The harness's own consumers (the ledger feed, the queue-events recorder) fetch with this long-poll
 * wait. kafkajs's `disconnect` waits for the fetch in flight (kafkajs #1606) — 5 s with the default —
 * and every scenario closes both at its end: measured 4–8 s after the leak audit per scenario. 500 ms
 * keeps that short, and records reach the run sooner.
 */
export const HARNESS_FETCH_WAIT_MS = 500;

/**
 * Group coordinators move (a fresh cluster creating __consumer_offsets, a broker failure): kafkajs's own
 * single retry does not outlast that, and NOT_COORDINATOR then surfaces as an error. Retriable protocol
 * errors get a few more tries, bounded in count and time.
 */
const COORDINATOR_RETRIES = 6;
const COORDINATOR_RETRY_MS = 500;

async function retryRetriable<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= COORDINATOR_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS));
    }
  }
}

export class KafkaAdminReader implements KafkaReader {
  private readonly kafka: Kafka;
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly bootstrap: string[],
    clientId: string,
  ) {
    this.kafka = new Kafka({
      clientId,
      brokers: bootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
      retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 },
    });
  }

  private connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined));
    }
    return this.admin;
  }

  async brokers(): Promise<BrokerAddress[]> {
    const cluster = await (await this.connected()).describeCluster();
    return cluster.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Any bootstrap broker that answers DescribeQuorum tells (it forwards to the active controller). */
  async quorumLeader(): Promise<number> {
    const failures: string[] = [];
    for (const address of this.bootstrap) {
      try {
        return (await describeQuorumLeader(parseHostAddress(address), 3_000)).leaderId;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    throw new Error(`no broker told the KRaft quorum leader: ${failures.join("; ")}`);
  }

  async partitions(topics?: string[]): Promise<PartitionState[]> {
    const metadata = await (await this.connected()).fetchTopicMetadata(topics ? { topics } : undefined);
    return metadata.topics.flatMap((topic) =>
      topic.partitions.map((partition) => ({
        topic: topic.name,
        partition: partition.partitionId,
        leader: partition.leader,
        replicas: partition.replicas,
        isr: partition.isr,
      })),
    );
  }

  async groupLag(group: string, topics?: string[]): Promise<GroupLag | undefined> {
    const admin = await this.connected();
    const committed = await retryRetriable(() => admin.fetchOffsets({ groupId: group, ...(topics ? { topics } : {}) }));
    const partitions: GroupLag["partitions"] = [];
    let anyCommit = false;
    for (const { topic, partitions: offsets } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const { partition, offset } of offsets) {
        const end = ends.find((candidate) => candidate.partition === partition);
        if (!end) continue;
        const committedOffset = Number(offset);
        if (committedOffset >= 0) anyCommit = true;
        const from = committedOffset >= 0 ? committedOffset : Number(end.low);
        partitions.push({ topic, partition, lag: Math.max(0, Number(end.high) - from) });
      }
    }
    if (!anyCommit) return undefined;
    return { group, total: partitions.reduce((sum, partition) => sum + partition.lag, 0), partitions };
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => undefined);
  }
}
