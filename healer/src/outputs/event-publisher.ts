/**
 * What the healer produces to queue-events: `healer.detected` / `healer.replaced` / `healer.suppressed`
 * (so the harness can correlate cause and effect) and its own canary. Best effort: Kafka being down
 * is exactly when the breaker suppresses remediations, and a lost healer.* event never blocks one.
 */
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import { encodeQueueEvent, QUEUE_EVENTS_TOPIC, type QueueEvent } from "../../../workloads/queue-events/contract.ts";

export interface QueueEventSink {
  /** Produces one event; `partition` pins it (canaries go to every partition). */
  send(event: QueueEvent, partition?: number): Promise<void>;
  close(): Promise<void>;
}

export class KafkaQueueEventSink implements QueueEventSink {
  private producer?: Producer;
  private connecting?: Promise<Producer>;

  constructor(
    private readonly kafka: Kafka,
    private readonly sendTimeoutMs = 5_000,
  ) {}

  async send(event: QueueEvent, partition?: number): Promise<void> {
    const producer = await this.connected();
    const { key, value } = encodeQueueEvent(event);
    await producer.send({
      topic: QUEUE_EVENTS_TOPIC,
      acks: -1,
      timeout: this.sendTimeoutMs,
      messages: [{ key, value, ...(partition === undefined ? {} : { partition }) }],
    });
  }

  async close(): Promise<void> {
    const producer = this.producer ?? (await this.connecting?.catch(() => undefined));
    this.producer = undefined;
    this.connecting = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      // The loaders' partitioner (Java-compatible murmur2, kafkajs 2's default), set explicitly: a task's
      // healer.* events land on the partition of its own events, and kafkajs stops warning at every start.
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 200 } });
      try {
        await producer.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }
}

export type HealerEventType = "healer.detected" | "healer.replaced" | "healer.suppressed";

export interface HealerEventSubject {
  uid: string;
  name: string;
  namespace: string;
  taskId: string;
  attempt: number;
}

/** healer.* events in the queue-events contract: `jobUid` is the Job acted on, `seq` counts per healer process. */
export class HealerEventPublisher {
  private seq = 0;

  constructor(
    private readonly sink: QueueEventSink,
    private readonly wallMs: () => number,
    private readonly onResult: (result: "success" | "error", error?: unknown) => void,
  ) {}

  async publish(
    type: HealerEventType,
    subject: HealerEventSubject,
    fields: { reason: string; message?: string; replacementJobName?: string; replacementJobUid?: string },
  ): Promise<void> {
    const event: QueueEvent = {
      v: 1,
      type,
      jobUid: subject.uid,
      jobName: subject.name,
      namespace: subject.namespace,
      taskId: subject.taskId,
      attempt: subject.attempt,
      seq: this.seq++,
      ts: Math.round(this.wallMs()),
      reason: fields.reason.slice(0, 64),
      ...(fields.message === undefined ? {} : { message: fields.message.slice(0, 4096) }),
      ...(fields.replacementJobName === undefined ? {} : { replacementJobName: fields.replacementJobName }),
      ...(fields.replacementJobUid === undefined ? {} : { replacementJobUid: fields.replacementJobUid }),
    };
    try {
      await this.sink.send(event);
      this.onResult("success");
    } catch (error) {
      this.onResult("error", error);
    }
  }
}
