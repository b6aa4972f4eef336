/**
 * Kafka lanes on the real sim (Kafka's extra listeners behind their own Toxiproxy proxies): a client that
 * bootstraps on a lane is told that lane's addresses and stays there, so a toxic on the lane slows it and
 * nobody else; the lane's handles see only the lane's toxics (what a run's leak audit reads); the
 * ConfigMap the loaders read gives each lane's servers.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { labFixture, uniqueName } from "../testing/lab-fixture.ts";
import { measureProduce } from "../testing/produce-latency.ts";
import { bootstrapWorkloads } from "./kafka-nodes.ts";
import { KAFKA_LANES } from "./layout.ts";
import { KAFKA_CONFIGMAP, kafkaWorkloadsKey } from "../../workloads/manifests/loader-job.ts";
import { STREAMFORGE_NAMESPACE } from "../../workloads/queue-events/namespace.ts";

const fixture = labFixture();
const topic = uniqueName("lanes");
const toxicName = uniqueName("lane-test");
const SAMPLES = 9;

const onLane = (lane: number) => (clientId: string) =>
  new Kafka({ clientId, brokers: bootstrapWorkloads(lane), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 } });

afterAll(async () => {
  for (const ref of await fixture.lab.network.listToxics()) if (ref.name === toxicName) await fixture.lab.network.removeToxic(ref);
  const admin = fixture.kafkaDirect("lanes-cleanup").admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

/** Median produce round trip (acks=all) over SAMPLES sequential sends, connections warmed first. */
const produceMedianMs = async (kafka: Kafka) => (await measureProduce(kafka, topic, SAMPLES)).medianMs;

describe("Kafka lanes on the sim", () => {
  it("the lab has lanes 1-4, and ConfigMap streamforge-kafka gives each lane's bootstrap servers", async () => {
    expect(fixture.lab.network.lanes).toEqual([...KAFKA_LANES]);
    const configMap = await fixture.core.readNamespacedConfigMap({ name: KAFKA_CONFIGMAP.name, namespace: STREAMFORGE_NAMESPACE });
    expect(configMap.data?.[kafkaWorkloadsKey()]).toBe(bootstrapWorkloads(0).join(","));
    for (const lane of KAFKA_LANES) expect(configMap.data?.[kafkaWorkloadsKey(lane)]).toBe(bootstrapWorkloads(lane).join(","));
  });

  it("a client bootstrapping on a lane is told that lane's proxy addresses for every broker", async () => {
    for (const lane of [0, ...KAFKA_LANES]) {
      const admin = onLane(lane)(`lanes-metadata-${lane}`).admin();
      await admin.connect();
      try {
        const { brokers } = await admin.describeCluster();
        expect(brokers.map((broker) => `${broker.host}:${broker.port}`).sort(), `lane ${lane}`).toEqual([...bootstrapWorkloads(lane)].sort());
      } finally {
        await admin.disconnect();
      }
    }
  });

  it("a 300 ms toxic on lane 2 slows lane 2's producers only; lane 2's handles list it, lane 1's do not", async () => {
    const admin = fixture.kafkaDirect("lanes-admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const lane2 = fixture.lab.network.onLane!(2);
    const lane1 = fixture.lab.network.onLane!(1);

    const before = { lane2: await produceMedianMs(onLane(2)("lanes-before-2")), lane1: await produceMedianMs(onLane(1)("lanes-before-1")), shared: await produceMedianMs(onLane(0)("lanes-before-0")) };
    const refs = await lane2.addToxic(fixture.description.kafka.nodeIds, toxicName, { kind: "latency", latencyMs: 300, jitterMs: 0, direction: "downstream" });
    try {
      expect(refs.every((ref) => ref.lane === 2)).toBe(true);
      expect((await lane2.listToxics()).filter((ref) => ref.name === toxicName)).toHaveLength(refs.length);
      expect((await lane1.listToxics()).filter((ref) => ref.name === toxicName)).toEqual([]);
      const during = { lane2: await produceMedianMs(onLane(2)("lanes-during-2")), lane1: await produceMedianMs(onLane(1)("lanes-during-1")), shared: await produceMedianMs(onLane(0)("lanes-during-0")) };
      const figures = JSON.stringify({ before, during });
      expect(during.lane2 - before.lane2, figures).toBeGreaterThanOrEqual(250);
      // The others: well under the toxic's delay (a busy 2-core machine adds tens of ms, never 300).
      expect(during.lane1 - before.lane1, figures).toBeLessThan(150);
      expect(during.shared - before.shared, figures).toBeLessThan(150);
    } finally {
      for (const ref of refs) await fixture.lab.network.removeToxic(ref);
    }
    expect((await fixture.lab.network.listToxics()).filter((ref) => ref.name === toxicName)).toEqual([]);
  });
});
