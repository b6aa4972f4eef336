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
import type { LoaderTransport } from "./loader-contract.ts";
import { readTaskLedger } from "./ledger-reader.ts";

const { Partitioners } = kafkajs;
type Producer = ReturnType<Kafka["producer"]>;

/** acks=all: the write is on every in-sync replica (min.insync.replicas applies). */
const ACKS_ALL = -1;

/**
 * Errors after which this producer's idempotence state is useless: the broker no longer knows the
 * producer id or its sequence. kafkajs 2.2.4 does not bump the epoch or re-initialise by itself, so
 * every later send would fail the same way; a new producer (new id) recovers, at the price that the
 * batch in doubt may now be written twice (counted as duplicated by the ledger, never as lost).
 */
const PRODUCER_STATE_ERRORS = new Set(["OUT_OF_ORDER_SEQUENCE_NUMBER", "UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING"]);

export function isProducerStateError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (PRODUCER_STATE_ERRORS.has((current as Error & { type?: string }).type ?? "")) return true;
    current = (current as Error & { cause?: unknown }).cause ?? (current as Error & { originalError?: unknown }).originalError;
  }
  return false;
}

class ManagedProducer {
  private connected = false;
  private producer: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly name: string,
    private readonly logger: Logger,
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 300, maxRetryTime: 3000, retries: 5 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }

  async send(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
      this.logger.info({ producer: this.name }, "producer connected");
    }
    try {
      await this.producer.send({ topic, acks: ACKS_ALL, messages });
    } catch (error) {
      if (isProducerStateError(error)) {
        this.logger.warn({ producer: this.name, error: (error as Error).message }, "producer id/sequence rejected by the broker: starting a new idempotent producer");
        const old = this.producer;
        this.producer = this.create();
        this.connected = false;
        void withTimeout(old.disconnect().catch(() => undefined), 2000);
      }
      throw error;
    }
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
