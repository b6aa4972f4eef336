/**
 * kafkajs, configured once for the workloads: its logs go through our logger, its own retries are short
 * (the programs own the "retry forever with backoff" loop, so a SIGTERM is never stuck behind a
 * 30-second internal retry), and the partitioner is the Java-compatible default (murmur2), so every
 * client of the lab puts a key in the same partition.
 */
import kafkajs from "kafkajs";
import type { Logger } from "./logger.ts";

const { Kafka, logLevel: LogLevel } = kafkajs;
export type Kafka = InstanceType<typeof Kafka>;

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

export function createKafka({ brokers, clientId, logger }: KafkaClientOptions): Kafka {
  const kafkaLogger = logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { initialRetryTime: 300, maxRetryTime: 3000, retries: 5 },
    logLevel: LogLevel.INFO,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const entry = { ns: namespace, ...fields };
      if (level === LogLevel.ERROR) kafkaLogger.warn(entry, message); // kafkajs logs every retried request as ERROR
      else if (level === LogLevel.WARN) kafkaLogger.warn(entry, message);
      else if (level === LogLevel.INFO) kafkaLogger.info(entry, message);
      else kafkaLogger.debug(entry, message);
    },
  });
}

/** `KAFKA_BROKERS`: comma-separated host:port list, as ConfigMap `streamforge-kafka` holds it. */
export function parseBrokers(text: string | undefined, what = "KAFKA_BROKERS"): string[] {
  const brokers = (text ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (brokers.length === 0) {
    throw new Error(`${what}: expected a comma-separated list of host:port, found ${JSON.stringify(text ?? "")} (is ConfigMap streamforge-kafka key "workloads" set?)`);
  }
  for (const broker of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) {
      throw new Error(`${what}: expected host:port, found ${JSON.stringify(broker)}`);
    }
  }
  return brokers;
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = (error as Error & { cause?: unknown }).cause;
  return {
    error: error.message,
    errorName: error.name,
    ...(cause instanceof Error ? { cause: cause.message } : {}),
    retriable: (error as Error & { retriable?: boolean }).retriable,
  };
}
