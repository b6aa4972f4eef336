/**
 * The lab's topics through Kafka's admin API, for Kafkas the lab does not manage with an operator (the
 * sim's processes, a plain StatefulSet, a Kafka outside the cluster): waits until the expected brokers
 * registered, creates what is missing (replication 3, or fewer on a smaller cluster), and returns the
 * node ids the cluster reports.
 *
 * A Kafka that has just come up still drops connections now and then (a fresh kind cluster: a broker's
 * NodePort answers before kube-proxy routes it, or a broker restarts once while the quorum forms), and
 * kafkajs lets such a KafkaJSConnectionClosedError out of createTopics. So the whole step is attempted
 * again, with a fresh admin client, until the deadline; only what is still missing is created.
 */
import { Kafka, logLevel } from "kafkajs";
import { LAB_TOPICS } from "../topics.ts";

/** The part of kafkajs' admin client this step uses (a fake in the unit test). */
export interface TopicsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  describeCluster(): Promise<{ brokers: Array<{ nodeId: number }> }>;
  listTopics(): Promise<string[]>;
  createTopics(options: { topics: Array<{ topic: string; numPartitions?: number; replicationFactor?: number }>; waitForLeaders: boolean }): Promise<boolean>;
}

export interface EnsureLabTopicsOptions {
  expectBrokers?: number;
  timeoutMs?: number;
  /** Where to look when it fails (logs, a command), said in the error. */
  where?: string;
  /** Told each time an attempt failed and another one follows. */
  log?: (line: string) => void;
  admin?: (bootstrap: string[]) => TopicsAdmin;
}

const POLL_MS = 200;
const RETRY_PAUSE_MS = 1000;

function kafkajsAdmin(bootstrap: string[]): TopicsAdmin {
  return new Kafka({ clientId: "chaoslab-lab-up", brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 200 } }).admin();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class NotEnoughBrokers extends Error {}

export async function ensureLabTopics(bootstrap: string[], options: EnsureLabTopicsOptions = {}): Promise<number[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const makeAdmin = options.admin ?? kafkajsAdmin;
  const where = options.where ? `; see ${options.where}` : "";
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(makeAdmin(bootstrap), options.expectBrokers, deadline);
    } catch (error) {
      const cause = (error as Error).message;
      if (error instanceof NotEnoughBrokers) throw new Error(`Kafka at ${bootstrap.join(",")}: ${cause} within ${timeoutMs / 1000} s${where}`);
      if (Date.now() + RETRY_PAUSE_MS > deadline) {
        throw new Error(`Kafka at ${bootstrap.join(",")}: the lab's topics could not be created within ${timeoutMs / 1000} s (${attempt} attempt(s)); last error: ${(error as Error).name}: ${cause}${where}`, {
          cause: error,
        });
      }
      options.log?.(`  topics: attempt ${attempt} failed (${(error as Error).name}: ${cause}); trying again`);
      await sleep(RETRY_PAUSE_MS);
    }
  }
}

async function attemptOnce(admin: TopicsAdmin, expectBrokers: number | undefined, deadline: number): Promise<number[]> {
  await admin.connect();
  try {
    const brokers = await registeredBrokers(admin, expectBrokers, deadline);
    const existing = new Set(await admin.listTopics());
    const missing = LAB_TOPICS.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((topic) => ({ ...topic, replicationFactor: Math.min(3, brokers.length) })), waitForLeaders: true });
    }
    // createTopics answers false when a topic already existed (another attempt's request landed): what
    // counts is that every topic is there now.
    const after = new Set(await admin.listTopics());
    const stillMissing = LAB_TOPICS.filter((topic) => !after.has(topic.topic)).map((topic) => topic.topic);
    if (stillMissing.length > 0) throw new Error(`topic(s) ${stillMissing.join(", ")} missing after creation`);
    return brokers;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function registeredBrokers(admin: TopicsAdmin, expectBrokers: number | undefined, deadline: number): Promise<number[]> {
  for (;;) {
    const cluster = await admin.describeCluster().catch(() => undefined);
    const brokers = (cluster?.brokers ?? []).map((broker) => broker.nodeId).sort((a, b) => a - b);
    if (brokers.length > 0 && (expectBrokers === undefined || brokers.length === expectBrokers)) return brokers;
    if (Date.now() > deadline) throw new NotEnoughBrokers(`${brokers.length} broker(s) registered${expectBrokers ? ` of ${expectBrokers}` : ""}`);
    await sleep(POLL_MS);
  }
}
