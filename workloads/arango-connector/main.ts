/**
 * `chaoslab/arango-connector`: consumes `loader-data` in consumer group `arango-connector`, writes every
 * record to a JSON-lines sink (SINK_FILE), counts duplicates, and commits offsets only after the sink
 * write. Serves nothing; logs only. Run: `node --import tsx workloads/arango-connector/main.ts`.
 *
 * Env: KAFKA_BROKERS (required); SINK_FILE, or SINK_DIR (default /tmp/arango-connector) + POD_NAME
 * (one file per pod, `<SINK_DIR>/<POD_NAME>.jsonl`, so replicas and restarts never share a file); DATA_TOPIC
 * (default loader-data), GROUP_ID (default arango-connector), STATS_INTERVAL_MS (default 10000),
 * SESSION_TIMEOUT_MS (default 10000).
 *
 * kafkajs's consumer restarts itself after most errors; when it gives up (a crash without restart) this
 * program builds a new consumer after a backoff, so a long Kafka outage is waited out, not fatal.
 */
import path from "node:path";
import { DATA_TOPIC } from "../ledger/data-record.ts";
import { Backoff, settle, sleep, withTimeout } from "../shared/backoff.ts";
import { createKafka, errorFields, parseBrokers } from "../shared/kafka-client.ts";
import { createLogger } from "../shared/logger.ts";
import { Connector } from "./connector.ts";
import { SinkFile } from "./sink-file.ts";

const HARD_STOP_MS = 3000;
const logger = createLogger("arango-connector");

interface ConnectorConfig {
  brokers: string[];
  sinkFile: string;
  topic: string;
  groupId: string;
  statsIntervalMs: number;
  sessionTimeoutMs: number;
}

function loadConfig(env: NodeJS.ProcessEnv): ConnectorConfig {
  const statsIntervalMs = Number(env["STATS_INTERVAL_MS"] ?? 10_000);
  if (!Number.isInteger(statsIntervalMs) || statsIntervalMs < 100) {
    throw new Error(`STATS_INTERVAL_MS: expected milliseconds >= 100, found ${JSON.stringify(env["STATS_INTERVAL_MS"])}`);
  }
  const sessionTimeoutMs = Number(env["SESSION_TIMEOUT_MS"] ?? 10_000);
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 6000) {
    throw new Error(`SESSION_TIMEOUT_MS: expected milliseconds >= 6000 (the broker's group.min.session.timeout.ms), found ${JSON.stringify(env["SESSION_TIMEOUT_MS"])}`);
  }
  return {
    sessionTimeoutMs,
    brokers: parseBrokers(env["KAFKA_BROKERS"]),
    sinkFile:
      env["SINK_FILE"]?.trim() ||
      path.join(env["SINK_DIR"]?.trim() || "/tmp/arango-connector", `${env["POD_NAME"]?.trim() || "sink"}.jsonl`),
    topic: env["DATA_TOPIC"]?.trim() || DATA_TOPIC,
    groupId: env["GROUP_ID"]?.trim() || "arango-connector",
    statsIntervalMs,
  };
}

async function main(): Promise<number> {
  let config: ConnectorConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    logger.fatal({ ...errorFields(error) }, `configuration is invalid: ${(error as Error).message}`);
    return 2;
  }
  process.on("unhandledRejection", (reason) => {
    logger.error({ ...errorFields(reason) }, "unhandled rejection (ignored)");
  });

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "signal received: leaving the group and closing the sink");
    stop.abort();
    setTimeout(() => {
      logger.error({ hardStopMs: HARD_STOP_MS }, "shutdown took too long; exiting now");
      process.exit(0);
    }, HARD_STOP_MS);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  const sink = await SinkFile.open(config.sinkFile);
  logger.info({ sinkFile: config.sinkFile, ...sink.summary }, "sink opened");
  const connector = new Connector(sink, logger);
  const logStats = (msg: string) => logger.info({ ...connector.counters, sink: sink.summary }, msg);
  const statsTimer = setInterval(() => logStats("stats"), config.statsIntervalMs);

  const kafka = createKafka({ brokers: config.brokers, clientId: "arango-connector", logger });
  const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  while (!stop.signal.aborted) {
    const consumer = kafka.consumer({
      groupId: config.groupId,
      allowAutoTopicCreation: false,
      // A short fetch wait keeps disconnect (which waits for the fetch in flight) well inside the SIGTERM budget.
      maxWaitTimeInMs: 500,
      // A member killed without leaving (pod-delete --force) blocks the group until its session
      // expires: 10 s instead of kafkajs's 30 s keeps that window short (broker minimum is 6 s).
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeoutMs / 10)),
    });
    const gaveUp = new Promise<unknown>((resolve) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        logger.warn({ ...errorFields(payload.error), restart: payload.restart }, "consumer crashed");
        if (!payload.restart) resolve(payload.error);
      });
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      backoff.reset();
      logger.info({ memberId: payload.memberId, isLeader: payload.isLeader, assignment: payload.memberAssignment }, "joined the group");
    });
    // consumer.run() only returns once the group is joined, which waits out the session of a member
    // that died without leaving: race it against SIGTERM so a stop is never stuck behind a join.
    const started = await settle(
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic: config.topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            if (!isRunning() || isStale()) return;
            const commit = await connector.handleBatch(batch.partition, batch.messages);
            if (commit === undefined) return;
            resolveOffset(batch.lastOffset());
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: commit }]);
            await heartbeat();
          },
        });
      })(),
      stop.signal,
    );
    if (started.status === "error") logger.warn({ ...errorFields(started.error) }, "consumer failed to start");
    if (started.status === "ok") {
      await Promise.race([gaveUp, new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }))]);
    }
    await withTimeout(consumer.disconnect().catch(() => undefined), 2000);
    if (!stop.signal.aborted) {
      const retryInMs = backoff.next();
      logger.warn({ retryInMs, failures: backoff.failures }, "starting a new consumer after backoff");
      await sleep(retryInMs, stop.signal);
    }
  }
  clearInterval(statsTimer);
  await sink.close();
  logStats("stopped");
  return 0;
}

const exitCode = await main();
process.exitCode = exitCode;
setTimeout(() => process.exit(exitCode), 200).unref();
