/**
 * The loader's Kafka side with kafkajs 2.2.4: two idempotent producers with acks=all (-1), one for data
 * and ledger (written strictly one after the other), one for events (written by their own ordered
 * queue), so a heartbeat never waits behind a data batch and vice versa.
 *
 * Idempotence (verified against Apache Kafka 4.3.1: InitProducerId v1 and Produce are accepted) makes
 * the broker drop a resent batch whose first write had landed but whose ack was lost. kafkajs's own
 * retries are kept short (see shared/kafka-client.ts) and the loader resends the *identical* batch
 * after a failure; kafkajs rolls its sequence numbers back on a failed request, so the resend carries
 * the same sequence and is de-duplicated by the broker — the guarantee kafkajs warns about when retries
 * are limited still holds as long as nothing else is sent to that partition in between.
 */
import kafkajs from "kafkajs";
import type { QueueEvent } from "../queue-events/contract.ts";
import { encodeQueueEvent } from "../queue-events/contract.ts";
import { encodeDataRecord, type DataRecord } from "../ledger/data-record.ts";
import { encodeLedgerRecord, type LedgerRecord } from "../ledger/ledger-record.ts";
import type { RangeSet } from "../ledger/range-set.ts";
import { withTimeout } from "../shared/backoff.ts";
import type { Kafka } from "../shared/kafka-client.ts";
import type { Logger } from "../shared/logger.ts";
import type { LoaderConfig } from "./config.ts";
import type { LoaderTransport } from "./loader.ts";
import { readTaskLedger } from "./ledger-reader.ts";

const { Partitioners } = kafkajs;
type Producer = ReturnType<Kafka["producer"]>;

/** acks=all: the write is on every in-sync replica (min.insync.replicas applies). */
const ACKS_ALL = -1;

class ManagedProducer {
  private connected = false;
  readonly producer: Producer;

  constructor(kafka: Kafka, private readonly name: string, private readonly logger: Logger) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 300, maxRetryTime: 3000, retries: 5 },
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  async send(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
      this.logger.info({ producer: this.name }, "producer connected");
    }
    await this.producer.send({ topic, acks: ACKS_ALL, messages });
  }

  async close(timeoutMs: number): Promise<void> {
    await withTimeout(this.producer.disconnect().catch(() => undefined), timeoutMs);
  }
}

export class KafkaLoaderTransport implements LoaderTransport {
  private readonly data: ManagedProducer;
  private readonly events: ManagedProducer;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: LoaderConfig,
    private readonly logger: Logger,
  ) {
    this.data = new ManagedProducer(kafka, "data", logger);
    this.events = new ManagedProducer(kafka, "events", logger);
  }

  async readAcked(taskId: string): Promise<RangeSet> {
    const result = await readTaskLedger(this.kafka, {
      topic: this.config.ledgerTopic,
      taskId,
      timeoutMs: this.config.resumeTimeoutMs,
      logger: this.logger,
    });
    this.logger.info(
      { topic: this.config.ledgerTopic, partition: result.partition, records: result.records, acked: result.acked.toString() || "none" },
      "read the task's ledger",
    );
    return result.acked;
  }

  sendData(records: DataRecord[]): Promise<void> {
    return this.data.send(this.config.dataTopic, records.map(encodeDataRecord));
  }

  sendLedger(record: LedgerRecord): Promise<void> {
    return this.data.send(this.config.ledgerTopic, [encodeLedgerRecord(record)]);
  }

  sendEvent(event: QueueEvent): Promise<void> {
    return this.events.send(this.config.eventsTopic, [encodeQueueEvent(event)]);
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.all([this.data.close(timeoutMs), this.events.close(timeoutMs)]);
  }
}
