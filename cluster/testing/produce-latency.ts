/** For lab tests that prove a delay on a Kafka path: produce round trips as a client on that path sees them. */
import type { Kafka } from "kafkajs";

export interface ProduceLatency {
  medianMs: number;
  minMs: number;
}

/** `samples` sequential sends (acks=all) to `topic`, after one warm-up send so metadata and connections are not timed. */
export async function measureProduce(kafka: Kafka, topic: string, samples: number): Promise<ProduceLatency> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: "warm-up" }] });
    const times: number[] = [];
    for (let index = 0; index < samples; index++) {
      const started = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ key: String(index), value: String(index) }] });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]! };
  } finally {
    await producer.disconnect();
  }
}
