/**
 * `make bench-healer`: figures of the healer, written to reports/out/bench/healer.json, against the
 * spec's targets (shared/specs/healer.md "Targets"). Bounded to < 5 minutes; never takes the lab down.
 *
 * 1. Throughput (the real consumer path, one core): a backlog of valid queue-events for 10,000 Jobs is
 *    produced to a bench topic on the lab's Kafka; then, each in a child process pinned to one CPU
 *    (`taskset -c 1`):
 *      - a bare kafkajs consumer that only counts (`bareConsumerEventsPerSec`),
 *      - the healer (`startHealer`: its KafkaEventStream → parse → tracker, with 10,000 tracked Jobs
 *        that have a Ready pod, served by synthetic list/watch clients) (`eventsPerSec`);
 *    alternating, THROUGHPUT_ROUNDS pairs: the median pair's ratio is reported, every pair in details.
 * 2. Live (same healer process, right after): every one of the 10,000 Jobs heartbeats every 2 s
 *    (~5,000 events/s, produced from the other CPU); `ingestLagP99Ms` = receipt − producer ts (sampled);
 *    100 Jobs go silent at known times: `detectionOverThreshold*` = the healer's detection (its decision
 *    log line) − the Job's last event ts − the silence threshold. `rssMiB` after that, 10,000 tracked.
 * 3. Remediation on the lab (`remediationP95Ms`): a healer instance deployed as pods
 *    (cluster/healer/deploy.ts), 12 silent `chaoslab/task` Jobs created 1.5 s apart; decision (detect) →
 *    replacement created, from the healer's decision log (bench/healer-remediation.ts).
 * This file is the orchestrator; the child processes' code is bench/healer-worker.ts, run as an esbuild
 * bundle of bench/healer-worker-entry.ts (compiled JavaScript, as the image runs; tsx only as a fallback).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { remediationOnLab } from "./healer-remediation.ts";
import { HEALER_ENV, HEALER_NODE_FLAGS } from "./healer-runtime.ts";
import { EntryBundles } from "../cluster/sim/process-runtime/entry-bundles.ts";
import { BACKLOG, JOBS, jobUid, SILENCE_THRESHOLD_MS, taskId } from "./healer-worker.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let workerRuntime = "not started";
const OUT = path.join("reports", "out", "bench", "healer.json");
const LIVE_HEARTBEAT_MS = 2_000;
const LIVE_MS = 40_000;
const SILENCED = 100;
/**
 * Alternating bare/healer throughput pairs; the median pair's figures are the reported ones. Five, not
 * three: on 2 cores shared with three Kafka JVMs single pairs still differ by a tenth or more.
 */
const THROUGHPUT_ROUNDS = 5;
const log = (line: string) => process.stderr.write(`[bench-healer] ${line}\n`);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface WorkerHandle {
  messages: Array<Record<string, unknown>>;
  waitFor(kind: string, timeoutMs: number): Promise<Record<string, unknown>>;
  send(command: string): void;
  done: Promise<number>;
  kill(): void;
}

/** The workers run bundled (bench/healer-worker-entry.ts), as the healer's image and the sim's pods do. */
const workerBundles = new EntryBundles(REPO, path.join(REPO, ".chaoslab", "bench", "bundles"));

async function startWorker(mode: string, brokers: string[], topic: string, groupId = "-"): Promise<WorkerHandle> {
  const entry = await workerBundles.command("bench/healer-worker-entry.ts");
  workerRuntime = entry.how;
  // BENCH_HEALER_NODE_ARGS: extra node flags for both workers (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const extra = (process.env.BENCH_HEALER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const nodeArgs = ["--expose-gc", ...HEALER_NODE_FLAGS, ...extra, ...entry.nodeArgs, "--worker", mode, "--brokers", brokers.join(","), "--topic", topic, "--group", groupId];
  const pinned = fs.existsSync("/usr/bin/taskset") || fs.existsSync("/bin/taskset");
  // Both workers run as the healer's image does (node flags, environment): bench/healer-runtime.ts.
  const options = { stdio: ["pipe", "pipe", "inherit"] as ("pipe" | "inherit")[], env: { ...process.env, ...HEALER_ENV } };
  const child = pinned ? spawn("taskset", ["-c", "1", process.execPath, ...nodeArgs], options) : spawn(process.execPath, nodeArgs, options);
  const messages: Array<Record<string, unknown>> = [];
  let buffer = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        process.stderr.write(`${line}\n`);
      }
      newline = buffer.indexOf("\n");
    }
  });
  const done = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  return {
    messages,
    async waitFor(kind, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((message) => message.kind === kind);
        if (found) return found;
        const error = messages.find((message) => message.kind === "error");
        if (error) throw new Error(String(error.message));
        if (Date.now() > deadline) throw new Error(`worker ${mode}: no ${kind} within ${timeoutMs / 1000} s`);
        await sleep(100);
      }
    },
    send: (command) => child.stdin!.write(`${command}\n`),
    done,
    kill: () => child.kill("SIGKILL"),
  };
}

function heartbeat(index: number, seq: number, ts: number): { key: string; value: string } {
  return {
    key: taskId(index),
    value: JSON.stringify({ v: 1, type: "heartbeat", jobUid: jobUid(index), jobName: taskId(index), namespace: "bench", taskId: taskId(index), attempt: 0, seq, ts, progress: seq * 10 }),
  };
}

async function produceBacklog(kafka: Kafka, topic: string): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  const perJob = BACKLOG / JOBS;
  const batch = 5_000;
  let inFlight: Promise<unknown>[] = [];
  for (let offset = 0; offset < BACKLOG; offset += batch) {
    const messages = [];
    for (let n = offset; n < offset + batch; n++) messages.push(heartbeat(n % JOBS, Math.floor(n / JOBS) + 1, Date.now()));
    inFlight.push(producer.send({ topic, acks: 1, messages }));
    if (inFlight.length >= 4) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  log(`backlog: ${BACKLOG} events (${perJob} per Job) produced in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return perJob;
}

/** Every Job heartbeats every LIVE_HEARTBEAT_MS; SILENCED Jobs stop at known times. Returns each silenced Job's last ts. */
async function produceLive(kafka: Kafka, topic: string, startSeq: number, worker: WorkerHandle): Promise<Map<string, number>> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const lastTs = new Map<string, number>();
  const start = Date.now();
  // Silence 100 Jobs one every 100 ms from 15 s in (after the breaker has settled on live traffic).
  const silenceAt = (index: number) => (index < SILENCED ? start + 15_000 + index * 100 : Number.POSITIVE_INFINITY);
  const tickMs = 100;
  const perTick = (JOBS * tickMs) / LIVE_HEARTBEAT_MS;
  let cursor = 0;
  let seq = startSeq;
  worker.send("live");
  while (Date.now() - start < LIVE_MS) {
    const tickStart = Date.now();
    const messages = [];
    for (let n = 0; n < perTick; n++) {
      const index = cursor % JOBS;
      cursor++;
      if (index === 0) seq++;
      const now = Date.now();
      if (now >= silenceAt(index)) continue;
      messages.push(heartbeat(index, seq, now));
      if (index < SILENCED) lastTs.set(jobUid(index), now);
    }
    if (messages.length > 0) await producer.send({ topic, acks: 1, messages });
    await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
  }
  await producer.disconnect();
  log(`live: ${cursor} heartbeats in ${((Date.now() - start) / 1000).toFixed(1)} s (${Math.round(cursor / ((Date.now() - start) / 1000))}/s)`);
  return lastTs;
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const hardStop = setTimeout(() => {
    log("time bound (5 min) reached: giving up");
    process.exit(1);
  }, 290_000);
  hardStop.unref();
  const { attachSimLab } = await import("../cluster/sim/lab/sim-lab.ts");
  const lab = await attachSimLab();
  if (!lab) throw new Error("the sim lab is not up: `make lab-up` first (this benchmark never starts or stops it)");
  const brokers = lab.description.kafka.bootstrapDirect;
  const kafka = new Kafka({ clientId: "bench-healer-orchestrator", brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-healer-${randomBytes(3).toString("hex")}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
  log(`topic ${topic} created`);
  const workers: WorkerHandle[] = [];
  try {
    const perJob = await produceBacklog(kafka, topic);

    // Throughput: bare consumer and healer alternate, THROUGHPUT_ROUNDS pairs on the same backlog; each pair's
    // ratio is taken side by side and the median pair is reported (one pair swings 0.5-0.7 on this machine).
    const rounds: Array<{ bareEventsPerSec: number; healerEventsPerSec: number; ratio: number }> = [];
    let worker: WorkerHandle | undefined;
    let backlogResult: Record<string, unknown> = {};
    let bareResult: Record<string, unknown> = {};
    for (let round = 1; round <= THROUGHPUT_ROUNDS; round++) {
      const bare = await startWorker("bare", brokers, topic);
      workers.push(bare);
      bareResult = await bare.waitFor("bare", 100_000);
      await bare.done;
      const groupId = `bench-healer-${randomBytes(3).toString("hex")}`;
      await admin.setOffsets({ groupId, topic, partitions: Array.from({ length: 6 }, (_, partition) => ({ partition, offset: "0" })) });
      worker = await startWorker("healer", brokers, topic, groupId);
      workers.push(worker);
      backlogResult = await worker.waitFor("healer-backlog", 120_000);
      const pair = { bareEventsPerSec: Math.round(Number(bareResult.eventsPerSec)), healerEventsPerSec: Math.round(Number(backlogResult.eventsPerSec)) };
      rounds.push({ ...pair, ratio: Math.round((pair.healerEventsPerSec / pair.bareEventsPerSec) * 100) / 100 });
      log(`round ${round}: bare kafkajs consumer ${pair.bareEventsPerSec} events/s, healer consumer path ${pair.healerEventsPerSec} events/s (${rounds.at(-1)!.ratio}×), ${backlogResult.tracked} Jobs tracked`);
      // The last round's healer goes on to the live phase.
      if (round < THROUGHPUT_ROUNDS) {
        worker.send("stop");
        await Promise.race([worker.done, sleep(30_000)]);
      }
    }
    if (!worker) throw new Error("no throughput round ran");
    const medianRound = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
    const lastTs = await produceLive(kafka, topic, perJob, worker);
    await sleep(2_000);
    worker.send("report");
    const report = await worker.waitFor("healer-report", 20_000);
    worker.send("stop");
    await Promise.race([worker.done, sleep(30_000)]);

    const detections = report.detections as Record<string, number>;
    const overThreshold = [...lastTs].filter(([uid]) => detections[uid] !== undefined).map(([uid, ts]) => detections[uid]! - ts - SILENCE_THRESHOLD_MS);
    const falsePositives = Object.keys(detections).filter((uid) => !lastTs.has(uid));
    const lag = report.lagSamples as number[];
    log(`detections: ${overThreshold.length}/${SILENCED} silenced Jobs, ${falsePositives.length} others; breaker ${report.breaker}`);

    const remediation = await remediationOnLab().catch((error: unknown) => ({ samplesMs: [] as number[], note: `remediation on the lab failed: ${(error as Error).message}` }));
    log(`remediation decision → created: ${remediation.samplesMs.map((ms) => `${ms}`).join(", ")} ms`);

    const result = {
      eventsPerSec: medianRound.healerEventsPerSec,
      bareConsumerEventsPerSec: medianRound.bareEventsPerSec,
      eventsPerSecRatio: medianRound.ratio,
      ingestLagP99Ms: Math.round(percentile(lag, 99)),
      detectionOverThresholdP50Ms: Math.round(percentile(overThreshold, 50)),
      detectionOverThresholdP99Ms: Math.round(percentile(overThreshold, 99)),
      remediationP95Ms: Math.round(percentile(remediation.samplesMs, 95)),
      trackedJobs: Number(report.tracked),
      rssMiB: Math.round(Number(report.rssMiB)),
      targets: {
        eventsPerSec: ">= 10000 on one core",
        ingestLagP99Ms: "<= 1000",
        detectionOverThresholdP99Ms: `<= max(1000, 5% of ${SILENCE_THRESHOLD_MS}) = 1000`,
        remediationP95Ms: "<= 2000 (decision -> replacement created, sim lab)",
        rssMiB: "<= 150 with 10000 tracked Jobs",
        eventsPerSecRatio: ">= 0.8 of the bare kafkajs consumer (issue 12)",
      },
      details: {
        backlogEvents: BACKLOG,
        throughputRounds: rounds,
        liveHeartbeatsPerSec: JOBS / (LIVE_HEARTBEAT_MS / 1000),
        ingestLagSamples: lag.length,
        ingestLagP50Ms: Math.round(percentile(lag, 50)),
        silencedJobs: SILENCED,
        detected: overThreshold.length,
        falsePositiveDetections: falsePositives.length,
        silenceThresholdMs: SILENCE_THRESHOLD_MS,
        detectionOverThresholdMaxMs: Math.round(Math.max(...overThreshold)),
        remediationSamplesMs: remediation.samplesMs,
        remediationNote: remediation.note,
        heapUsedMiB: Math.round(Number(report.heapUsedMiB)),
        bareConsumerRssMiB: Math.round(Number(bareResult.rssMiB)),
        memoryMiB: { healer: report.memoryMiB, healerStarted: worker.messages.find((message) => message.kind === "healer-started")?.memoryMiB, healerAfterBacklog: backlogResult.memoryMiB, bareConsumer: bareResult.memoryMiB },
        pinnedToOneCpu: fs.existsSync("/usr/bin/taskset") || fs.existsSync("/bin/taskset"),
        runtime: `node ${[...HEALER_NODE_FLAGS, ...(process.env.BENCH_HEALER_NODE_ARGS ?? "").split(" ").filter(Boolean)].join(" ")} ${workerRuntime === "bundle" ? "<esbuild bundle>" : workerRuntime} with ${Object.entries(HEALER_ENV).map(([name, value]) => `${name}=${value}`).join(" ")}, for both workers (as the healer image)`,
        loadAverage: (await import("node:os")).loadavg().map((value) => Math.round(value * 100) / 100),
        seconds: Math.round((Date.now() - benchStarted) / 1000),
      },
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${OUT}`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const worker of workers) worker.kill();
    await admin.deleteTopics({ topics: [topic] }).catch((error: unknown) => log(`could not delete ${topic}: ${(error as Error).message}`));
    await admin.disconnect();
  }
  process.exit(0);
}

await main();
