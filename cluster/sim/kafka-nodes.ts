/**
 * Three Apache Kafka nodes in KRaft mode (combined broker + controller, static voters on 127.0.0.1),
 * replication factor 3, min.insync.replicas 2 — the shape Strimzi runs on kind.
 *
 * Each broker has three listeners:
 *  - DIRECT: inter-broker traffic, the healer and the harness's instruments (never behind a fault);
 *  - APPS: what workloads use; bound on kafkaApps(id) but *advertised* as Toxiproxy's listener
 *    kafkaAppsProxy(id), so every produce/fetch of a workload crosses the proxy of that broker;
 *  - APPS_LANE_<n>, one per Kafka lane (layout.ts KAFKA_LANES): the same, each behind its own proxies.
 *    Kafka answers metadata with the addresses of the listener a client connected on, so a loader that
 *    bootstraps on a lane stays on it, and a toxic on that lane's proxies touches only its run;
 *  - CONTROLLER: the KRaft quorum.
 */
import fsSync from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { KAFKA_LANES, KAFKA_NODE_IDS, LOOPBACK, PORTS } from "./layout.ts";
import { classArchivePath, ensureClassArchive, KAFKA_JVM_FLAGS, restoreFormattedStorage, saveFormattedStorage, type TrainingBroker } from "./kafka-startup.ts";
import type { ProcessSpec } from "./supervisor.ts";

export const kafkaNodeName = (nodeId: number) => `kafka-${nodeId}`;

export function bootstrapDirect(): string[] {
  return KAFKA_NODE_IDS.map((id) => `${LOOPBACK}:${PORTS.kafkaDirect(id)}`);
}

/** What workloads bootstrap on: the shared lane (0), or one of the Kafka lanes. */
export function bootstrapWorkloads(lane = 0): string[] {
  return KAFKA_NODE_IDS.map((id) => `${LOOPBACK}:${PORTS.kafkaAppsProxy(id, lane)}`);
}

const appsListener = (lane: number) => (lane === 0 ? "APPS" : `APPS_LANE_${lane}`);

function nodeProperties(nodeId: number, dataDir: string, voterIds: readonly number[] = KAFKA_NODE_IDS): string {
  const voters = voterIds.map((id) => `${id}@${LOOPBACK}:${PORTS.kafkaController(id)}`).join(",");
  const lanes = [0, ...KAFKA_LANES];
  const apps = (port: (nodeId: number, lane: number) => number) => lanes.map((lane) => `${appsListener(lane)}://${LOOPBACK}:${port(nodeId, lane)}`);
  return [
    "process.roles=broker,controller",
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=${[`DIRECT://${LOOPBACK}:${PORTS.kafkaDirect(nodeId)}`, ...apps(PORTS.kafkaApps), `CONTROLLER://${LOOPBACK}:${PORTS.kafkaController(nodeId)}`].join(",")}`,
    `advertised.listeners=${[`DIRECT://${LOOPBACK}:${PORTS.kafkaDirect(nodeId)}`, ...apps(PORTS.kafkaAppsProxy)].join(",")}`,
    `listener.security.protocol.map=${["DIRECT", ...lanes.map(appsListener), "CONTROLLER"].map((name) => `${name}:PLAINTEXT`).join(",")}`,
    // A lane carries one run's few loaders: one network thread each (KIP-788), not the default 3.
    ...KAFKA_LANES.map((lane) => `listener.name.${appsListener(lane).toLowerCase()}.num.network.threads=1`),
    "inter.broker.listener.name=DIRECT",
    "controller.listener.names=CONTROLLER",
    `log.dirs=${dataDir}`,
    "num.partitions=3",
    "default.replication.factor=3",
    "min.insync.replicas=2",
    "offsets.topic.replication.factor=3",
    "transaction.state.log.replication.factor=3",
    "transaction.state.log.min.isr=2",
    "share.coordinator.state.topic.replication.factor=3",
    "share.coordinator.state.topic.min.isr=2",
    // Topics are created explicitly by the lab (and by Strimzi's KafkaTopic on kind).
    "auto.create.topics.enable=false",
    "unclean.leader.election.enable=false",
    // Consumer groups of tests and the healer should not wait 3 s for a first rebalance.
    "group.initial.rebalance.delay.ms=0",
    // A killed broker must be noticed, and leadership moved, in seconds rather than the default 9 s session.
    "broker.session.timeout.ms=4000",
    "broker.heartbeat.interval.ms=1000",
    "controlled.shutdown.enable=true",
    "",
  ].join("\n");
}

const LOG4J2_CONFIG = `Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaServer
        level: INFO
      - name: kafka.server.BrokerServer
        level: INFO
      - name: org.apache.kafka.controller.QuorumController
        level: INFO
`;

export interface KafkaLayout {
  libsDir: string;
  /** `<state>/kafka`: node-N/{server.properties,data}, log4j2.yaml */
  root: string;
}

function nodeDir(layout: KafkaLayout, nodeId: number) {
  return path.join(layout.root, `node-${nodeId}`);
}

/**
 * Writes configs and storage (same cluster id for every node) unless the data is already there, and
 * makes sure of the class archive the brokers start from (cluster/sim/kafka-startup.ts).
 */
export async function prepareKafka(layout: KafkaLayout, log: (line: string) => void = () => undefined): Promise<void> {
  await fs.mkdir(layout.root, { recursive: true });
  const log4j = path.join(layout.root, "log4j2.yaml");
  await fs.writeFile(log4j, LOG4J2_CONFIG);
  const toFormat: number[] = [];
  for (const nodeId of KAFKA_NODE_IDS) {
    const dir = nodeDir(layout, nodeId);
    const dataDir = path.join(dir, "data");
    const properties = nodeProperties(nodeId, dataDir);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "server.properties"), properties);
    const formatted = await fs.access(path.join(dataDir, "meta.properties")).then(() => true, () => false);
    if (!formatted && !(await restoreFormattedStorage(layout.libsDir, nodeId, properties, dataDir))) toFormat.push(nodeId);
  }
  await formatStorage(layout, toFormat, log4j);
  await ensureClassArchive(layout.libsDir, () => trainingBroker(layout, log4j), log);
}

/** A fixed, valid cluster id (base64 of 16 bytes): every node needs the same one, and asking StorageTool for one costs a JVM. */
const CLUSTER_ID = "Q2hhb3NMYWJTaW1LYWZrYQ";

async function formatStorage(layout: KafkaLayout, nodeIds: readonly number[], log4j: string): Promise<void> {
  const java = (properties: string) =>
    $({ quiet: true, nothrow: true })`java -Xmx128m ${KAFKA_JVM_FLAGS} ${classArchiveFlags(layout.libsDir)} -cp ${path.join(layout.libsDir, "*")} -Dlog4j2.configurationFile=${log4j} kafka.tools.StorageTool format -t ${CLUSTER_ID} -c ${properties}`;
  const results = await Promise.all(nodeIds.map((nodeId) => java(path.join(nodeDir(layout, nodeId), "server.properties"))));
  for (const [index, result] of results.entries()) {
    const nodeId = nodeIds[index]!;
    if (result.exitCode !== 0) throw new Error(`formatting Kafka node ${nodeId} failed: ${`${result.stdout}\n${result.stderr}`.trim().slice(-2000)}`);
    const dataDir = path.join(nodeDir(layout, nodeId), "data");
    await saveFormattedStorage(layout.libsDir, nodeId, nodeProperties(nodeId, dataDir), dataDir);
  }
}

/** One broker alone (a one-voter quorum on node 1's ports, free until the lab's nodes start), formatted in scratch. */
async function trainingBroker(layout: KafkaLayout, log4j: string): Promise<TrainingBroker> {
  const dir = path.join(layout.root, "class-archive-training");
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const nodeId = KAFKA_NODE_IDS[0];
  const properties = nodeProperties(nodeId, path.join(dir, "data"), [nodeId]);
  const file = path.join(dir, "server.properties");
  await fs.writeFile(file, properties);
  const result = await $({ quiet: true, nothrow: true })`java -Xmx128m ${KAFKA_JVM_FLAGS} -cp ${path.join(layout.libsDir, "*")} -Dlog4j2.configurationFile=${log4j} kafka.tools.StorageTool format -t ${CLUSTER_ID} -c ${file}`;
  if (result.exitCode !== 0) throw new Error(`formatting the training broker failed: ${result.stderr.trim().slice(-500)}`);
  return { properties: file, host: LOOPBACK, port: PORTS.kafkaDirect(nodeId), log4j };
}

function classArchiveFlags(libsDir: string): string[] {
  const archive = classArchivePath(libsDir);
  return fsSync.existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
}

export function kafkaNodeSpec(layout: KafkaLayout, nodeId: number): ProcessSpec {
  return {
    name: kafkaNodeName(nodeId),
    command: "java",
    args: [
      // Small heaps: the lab runs 3 brokers next to a control plane on 2 cores.
      "-Xms128m",
      "-Xmx384m",
      // Serial GC, and C1 only: about half the start-up CPU, and plenty of throughput for a lab.
      ...KAFKA_JVM_FLAGS,
      // Kafka's classes mapped from the archive made once per build (kafka-startup.ts), when there is one.
      ...classArchiveFlags(layout.libsDir),
      "-XX:+ExitOnOutOfMemoryError",
      `-Dlog4j2.configurationFile=${path.join(layout.root, "log4j2.yaml")}`,
      "-cp",
      path.join(layout.libsDir, "*"),
      "kafka.Kafka",
      path.join(nodeDir(layout, nodeId), "server.properties"),
    ],
  };
}
