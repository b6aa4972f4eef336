/**
 * The bench's child processes (each pinned to one CPU by the orchestrator, bench/healer.ts): a bare
 * kafkajs consumer that only counts, and the healer's consumer path (`startHealer` with 10,000 synthetic
 * Jobs). They talk to the orchestrator by JSON lines on stdout and commands on stdin.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { startHealer } from "../healer/src/healer.ts";
import { KafkaEventStream, QUEUE_EVENTS_FETCH } from "../healer/src/inputs/event-stream.ts";
import type { ListWatchClient } from "../healer/src/kube/kube-api.ts";
import type { JobJson, PodJson } from "../healer/src/kube/kube-types.ts";
import { systemClock } from "../healer/src/runtime/clock.ts";
import { type HealerConfig, loadConfig } from "../healer/src/runtime/config.ts";
import { createLogger } from "../healer/src/runtime/logger.ts";
import { FakeKube } from "../healer/src/testing/fake-kube.ts";
import { encodeQueueEvent, LABELS } from "../workloads/queue-events/contract.ts";

export const JOBS = 10_000;
/**
 * 800,000 events: the timed part (after WARMUP_EVENTS) lasts ~4 s for the bare consumer. With 400,000
 * (~2 s) one GC pause or one slow fetch from a broker sharing the CPUs swung a pair's ratio 0.65-0.99.
 */
export const BACKLOG = 800_000;
/**
 * Throughput is timed from this many events on (both workers): the first fetches and JIT warm-up take
 * a few hundred ms that would otherwise weigh on a 4-5 s measurement and mostly on the healer, which
 * has more code to compile.
 */
export const WARMUP_EVENTS = 50_000;
export const SILENCE_THRESHOLD_MS = 10_000;

export const jobUid = (index: number) => `bench-job-${index}`;
export const taskId = (index: number) => `bench-task-${index}`;

export function emit(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Where the resident memory is: process.memoryUsage() in MiB (heapTotal is the V8 heap committed). */
function memoryMiB(): Record<string, number> {
  const figures = Object.fromEntries(Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]));
  // Linux: the peak (VmHWM) and what the resident set is made of (anonymous memory vs mapped files).
  try {
    for (const match of fs.readFileSync("/proc/self/status", "utf8").matchAll(/^(VmHWM|RssAnon|RssFile):\s+(\d+) kB/gm)) figures[match[1]!] = Math.round(Number(match[2]) / 1024);
    Object.assign(figures, anonymousMappingsMiB(fs.readFileSync("/proc/self/smaps", "utf8")));
  } catch {
    // not Linux
  }
  return figures;
}

/**
 * The anonymous resident memory by kind of mapping: glibc's main malloc arena (`[heap]`), V8's heap
 * pages (256 KiB-aligned chunks of at most a few MiB), and larger anonymous mappings (glibc's other
 * arenas, reserved 64 MiB at a time; large mmap'd Buffers).
 */
export function anonymousMappingsMiB(smaps: string): Record<string, number> {
  const sums = { mallocMainArena: 0, anonSmall: 0, anonLarge: 0 };
  let kind: keyof typeof sums | undefined;
  for (const line of smaps.split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const size = Number.parseInt(header[2]!, 16) - Number.parseInt(header[1]!, 16);
      const name = header[3]!.trim();
      kind = name === "[heap]" ? "mallocMainArena" : name === "" ? (size > 16 * 2 ** 20 ? "anonLarge" : "anonSmall") : undefined;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && kind) sums[kind] += Number(rss[1]);
  }
  return Object.fromEntries(Object.entries(sums).map(([name, kB]) => [name, Math.round(kB / 1024)]));
}

export async function bareWorker(brokers: string[], topic: string): Promise<void> {
  const kafka = new Kafka({ clientId: "bench-bare", brokers, logLevel: logLevel.NOTHING });
  // The healer's fetch sizing, so the two differ only in what they do with each record.
  const consumer: Consumer = kafka.consumer({ groupId: `bench-bare-${randomBytes(3).toString("hex")}`, ...QUEUE_EVENTS_FETCH });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let countAtStart = 0;
  let firstAt = 0;
  let done = false;
  await consumer.run({
    // The least a consumer does: take each record (counted), resolve the batch's offsets once
    // (eachBatchAutoResolve, as the healer does: once per batch), heartbeat.
    eachBatch: async ({ batch, heartbeat }) => {
      for (const message of batch.messages) if (message.offset !== "") count++;
      if (firstAt === 0 && count >= WARMUP_EVENTS) {
        firstAt = performance.now();
        countAtStart = count;
      }
      await heartbeat();
      if (count >= BACKLOG && !done) {
        done = true;
        const seconds = (performance.now() - firstAt) / 1000;
        emit({ kind: "bare", events: count, seconds, eventsPerSec: (count - countAtStart) / seconds, rssMiB: process.memoryUsage().rss / 2 ** 20, memoryMiB: memoryMiB() });
      }
    },
  });
  const deadline = Date.now() + 90_000;
  while (!done && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  if (!done) emit({ kind: "error", message: `bare consumer: only ${count} of ${BACKLOG} in 90 s` });
}

export async function healerWorker(brokers: string[], topic: string, groupId: string): Promise<void> {
  const config = benchHealerConfig(brokers, groupId);
  const { jobs, pods } = syntheticCluster();

  // Decision lines → detection times (wall clock at the moment the healer logged the decision).
  const detections = new Map<string, number>();
  const logger = createLogger("info", {
    write(line: string) {
      if (!line.includes('"decision":true') || !line.includes('"action":"detect"')) return;
      const parsed = JSON.parse(line) as { uid: string; result: string };
      if (parsed.result === "detected" && !detections.has(parsed.uid)) detections.set(parsed.uid, Date.now());
    },
  });

  const kafka = new Kafka({ clientId: "bench-healer", brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let consumed = 0;
  let firstAt = 0;
  let backlogDone = false;
  const lagSamples: number[] = [];
  let live = false;
  const healer = await startHealer(config, {
    kube: new FakeKube(systemClock),
    jobs,
    pods,
    eventStreams: () => {
      const stream = new KafkaEventStream(kafka, { groupId: config.kafka.groupId, topic }, systemClock, logger);
      return {
        start: (callbacks) =>
          stream.start({
            ...callbacks,
            onRecord: (record) => {
              callbacks.onRecord(record);
              consumed++;
              if (firstAt === 0 && consumed >= WARMUP_EVENTS) firstAt = performance.now(); // one record at a time: exactly WARMUP_EVENTS
              // Sampled ingest lag (1 in 20) in the live phase: receipt − producer ts, same machine.
              if (live && consumed % 20 === 0 && record.value) {
                const ts = Number(/"ts":(\d+)/.exec(record.value.toString("utf8"))?.[1]);
                if (Number.isFinite(ts)) lagSamples.push(Date.now() - ts);
              }
              if (!backlogDone && consumed >= BACKLOG) {
                backlogDone = true;
                const seconds = (performance.now() - firstAt) / 1000;
                emit({ kind: "healer-backlog", events: consumed, seconds, eventsPerSec: (consumed - WARMUP_EVENTS) / seconds, tracked: healer.tracker.size, memoryMiB: memoryMiB() });
              }
            },
          }),
        stop: () => stream.stop(),
      };
    },
    sink: {
      // The canary goes to the bench topic (that is what this healer consumes).
      send: async (event, partition) => {
        const { key, value } = encodeQueueEvent(event);
        await producer.send({ topic, acks: 1, messages: [{ key, value, ...(partition === undefined ? {} : { partition }) }] });
      },
      close: () => producer.disconnect(),
    },
    logger,
    http: false,
  });
  emit({ kind: "healer-started", memoryMiB: memoryMiB() });

  // Commands from the orchestrator on stdin: "live" (start sampling), "report" (figures), "stop".
  let stopRequested = false;
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    for (const command of chunk.split("\n").map((line) => line.trim()).filter(Boolean)) {
      if (command === "live") live = true;
      if (command === "report") {
        (globalThis as { gc?: () => void }).gc?.();
        emit({
          kind: "healer-report",
          tracked: healer.tracker.size,
          rssMiB: process.memoryUsage().rss / 2 ** 20,
          heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
          memoryMiB: memoryMiB(),
          detections: Object.fromEntries(detections),
          lagSamples,
          breaker: healer.breaker.state,
          consumed,
        });
      }
      if (command === "stop") stopRequested = true;
    }
  });
  const deadline = Date.now() + 200_000;
  while (!stopRequested && Date.now() < deadline) await sleep(100);
  await healer.stop();
}

export function benchHealerConfig(brokers: string[], groupId: string): HealerConfig {
  const loaded = loadConfig({
    KAFKA_BROKERS: brokers.join(","),
    HEALER_NAMESPACES: "bench",
    POD_NAME: "bench-healer",
    POD_NAMESPACE: "bench",
    // The orchestrator set this group's offsets to the start of the topic (the healer reads from the latest offsets otherwise).
    HEALER_CONSUMER_GROUP: groupId,
    HEALER_HEARTBEAT_INTERVAL: "2s",
    HEALER_SILENCE_THRESHOLD: `${SILENCE_THRESHOLD_MS / 1000}s`,
    HEALER_NO_PROGRESS_THRESHOLD: "600s",
    HEALER_GRACE_PERIOD: "5s",
    HEALER_CANARY_INTERVAL: "1s",
    HEALER_CANARY_TIMEOUT: "5s",
    HEALER_MAX_CONSUMER_LAG: "20000",
    HEALER_BREAKER_SETTLE_PERIOD: "1s",
    HEALER_LEASE_DURATION: "15s",
    LOG_LEVEL: "info",
  });
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.config;

}

/** 10,000 Jobs with a Ready pod each, served by list/watch clients that synthesise them on every list. */
export function syntheticCluster(): { jobs: ListWatchClient<JobJson>; pods: ListWatchClient<PodJson> } {
  // Synthesised on every list (the informer keeps its trimmed copy).
  const startTime = new Date().toISOString();
  const job = (index: number) => ({
    metadata: {
      name: taskId(index),
      namespace: "bench",
      uid: jobUid(index),
      resourceVersion: "1",
      creationTimestamp: startTime,
      labels: { [LABELS.managed]: "true", [LABELS.taskId]: taskId(index), [LABELS.attempt]: "0" },
      annotations: {},
    },
    spec: { parallelism: 1, template: { spec: { containers: [{ name: "loader", image: "chaoslab/loader:dev" }] } } },
    status: { active: 1, ready: 1, startTime },
  });
  const pod = (index: number) => ({
    metadata: {
      name: `${taskId(index)}-pod`,
      namespace: "bench",
      uid: `bench-pod-${index}`,
      resourceVersion: "1",
      labels: { "batch.kubernetes.io/controller-uid": jobUid(index) },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: taskId(index), uid: jobUid(index), controller: true }],
    },
    spec: { terminationGracePeriodSeconds: 10 },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  });
  const synthetic = <T>(resource: string, make: (index: number) => T) => ({
    resource,
    list: async () => ({ items: Array.from({ length: JOBS }, (_, index) => make(index)), resourceVersion: "1" }),
    watch: (_namespace: string, options: { timeoutSeconds: number }, _onEvent: unknown, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.timeoutSeconds * 1000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      }),
  });

  return { jobs: synthetic("jobs", job) as never, pods: synthetic("pods", pod) as never };
}
