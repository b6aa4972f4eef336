import { afterAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { labFixture, uniqueName } from "../testing/lab-fixture.ts";
import { measureProduce } from "../testing/produce-latency.ts";

const fixture = labFixture();
const topic = uniqueName("latency");
const toxicName = uniqueName("latency-test");
const SAMPLES = 15;

afterAll(async () => {
  for (const ref of await fixture.lab.network.listToxics()) if (ref.name === toxicName) await fixture.lab.network.removeToxic(ref);
  const admin = fixture.kafkaDirect("cleanup").admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

const measure = (kafka: Kafka) => measureProduce(kafka, topic, SAMPLES);

describe("Toxiproxy on the workloads' path to Kafka", () => {
  it("a 200 ms latency toxic raises the workloads' produce latency by ≥ 200 ms while the direct path stays fast", async () => {
    const admin = fixture.kafkaDirect("latency-admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const baselineWorkloads = await measure(fixture.kafkaWorkloads("latency-baseline"));
    const refs = await fixture.lab.network.addToxic(fixture.description.kafka.nodeIds, toxicName, { kind: "latency", latencyMs: 200, jitterMs: 0, direction: "downstream" });
    expect(refs).toHaveLength(fixture.description.kafka.nodeIds.length);
    const faultedWorkloads = await measure(fixture.kafkaWorkloads("latency-faulted"));
    const faultedDirect = await measure(fixture.kafkaDirect("latency-direct"));
    for (const ref of refs) await fixture.lab.network.removeToxic(ref);
    const recoveredWorkloads = await measure(fixture.kafkaWorkloads("latency-recovered"));

    const report = JSON.stringify({ baselineWorkloads, faultedWorkloads, faultedDirect, recoveredWorkloads });
    // The toxic adds exactly 200 ms to every response: every single faulted produce takes ≥ 200 ms …
    expect(faultedWorkloads.minMs, report).toBeGreaterThanOrEqual(200);
    // … and the typical produce rose by the toxic's 200 ms; comparing two medians of a few ms each
    // carries ~±5 ms of noise, so 5 % of the configured latency is allowed below it.
    expect(faultedWorkloads.medianMs - baselineWorkloads.medianMs, report).toBeGreaterThanOrEqual(190);
    // The instruments' path must not see the fault: well under the toxic's 200 ms.
    expect(faultedDirect.medianMs, report).toBeLessThan(100);
    expect(recoveredWorkloads.medianMs, report).toBeLessThan(100);
    expect((await fixture.lab.network.listToxics()).filter((ref) => ref.name === toxicName)).toEqual([]);
  });
});
