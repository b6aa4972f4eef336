/**
 * Three Apache Kafka nodes in KRaft mode (combined broker + controller, static voters on 127.0.0.1),
 * replication factor 3, min.insync.replicas 2 — the shape Strimzi runs on kind.
 *
 * Each broker has three listeners:
 *  - DIRECT: inter-broker traffic, the healer and the harness's instruments (never behind a fault);
 *  - APPS: what workloads use; bound on kafkaApps(id) but *advertised* as Toxiproxy's listener
 *    kafkaAppsProxy(id), so every produce/fetch of a workload crosses the proxy of that broker;
 *  - CONTROLLER: the KRaft quorum.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { KAFKA_NODE_IDS, LOOPBACK, PORTS } from "./layout.ts";
import type { ProcessSpec } from "./supervisor.ts";

export const kafkaNodeName = (nodeId: number) => `kafka-${nodeId}`;

export function bootstrapDirect(): string[] {
  return KAFKA_NODE_IDS.map((id) => `${LOOPBACK}:${PORTS.kafkaDirect(id)}`);
}

export function bootstrapWorkloads(): string[] {
  return KAFKA_NODE_IDS.map((id) => `${LOOPBACK}:${PORTS.kafkaAppsProxy(id)}`);
}

function nodeProperties(nodeId: number, dataDir: string): string {
  const voters = KAFKA_NODE_IDS.map((id) => `${id}@${LOOPBACK}:${PORTS.kafkaController(id)}`).join(",");
  return [
    "process.roles=broker,controller",
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=DIRECT://${LOOPBACK}:${PORTS.kafkaDirect(nodeId)},APPS://${LOOPBACK}:${PORTS.kafkaApps(nodeId)},CONTROLLER://${LOOPBACK}:${PORTS.kafkaController(nodeId)}`,
    `advertised.listeners=DIRECT://${LOOPBACK}:${PORTS.kafkaDirect(nodeId)},APPS://${LOOPBACK}:${PORTS.kafkaAppsProxy(nodeId)}`,
    "listener.security.protocol.map=DIRECT:PLAINTEXT,APPS:PLAINTEXT,CONTROLLER:PLAINTEXT",
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

/** Writes configs and formats storage (same cluster id for every node) unless already formatted. */
export async function prepareKafka(layout: KafkaLayout): Promise<void> {
  await fs.mkdir(layout.root, { recursive: true });
  await fs.writeFile(path.join(layout.root, "log4j2.yaml"), LOG4J2_CONFIG);
  const formatted = await fs
    .access(path.join(nodeDir(layout, KAFKA_NODE_IDS[0]), "data", "meta.properties"))
    .then(() => true, () => false);
  for (const nodeId of KAFKA_NODE_IDS) {
    const dir = nodeDir(layout, nodeId);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "server.properties"), nodeProperties(nodeId, path.join(dir, "data")));
  }
  if (formatted) return;
  const classpath = path.join(layout.libsDir, "*");
  const java = (args: string[]) =>
    $({ quiet: true, nothrow: true })`java -Xmx128m -XX:TieredStopAtLevel=1 -cp ${classpath} -Dlog4j2.configurationFile=${path.join(layout.root, "log4j2.yaml")} kafka.tools.StorageTool ${args}`;
  // A fixed, valid cluster id (base64 of 16 bytes): formatting all three nodes needs the same one and
  // asking StorageTool for a random one costs a JVM start (~1 s on 2 cores).
  const clusterId = "Q2hhb3NMYWJTaW1LYWZrYQ";
  const results = await Promise.all(
    KAFKA_NODE_IDS.map((nodeId) => java(["format", "-t", clusterId, "-c", path.join(nodeDir(layout, nodeId), "server.properties")])),
  );
  results.forEach((result, index) => {
    if (result.exitCode !== 0) {
      throw new Error(`formatting Kafka node ${KAFKA_NODE_IDS[index]} failed: ${`${result.stdout}\n${result.stderr}`.trim().slice(-2000)}`);
    }
  });
}

export function kafkaNodeSpec(layout: KafkaLayout, nodeId: number): ProcessSpec {
  return {
    name: kafkaNodeName(nodeId),
    command: "java",
    args: [
      // Small heaps: the lab runs 3 brokers next to a control plane on 2 cores.
      "-Xms128m",
      "-Xmx384m",
      "-XX:+UseSerialGC",
      // C1 only: about half the start-up CPU, and plenty of throughput for a lab.
      "-XX:TieredStopAtLevel=1",
      "-XX:+ExitOnOutOfMemoryError",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${path.join(layout.root, "log4j2.yaml")}`,
      "-cp",
      path.join(layout.libsDir, "*"),
      "kafka.Kafka",
      path.join(nodeDir(layout, nodeId), "server.properties"),
    ],
  };
}
