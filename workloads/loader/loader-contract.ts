/**
 * The loader's edges: what it needs from Kafka (`LoaderTransport`, faked in unit tests, kafkajs in
 * kafka-transport.ts), what its owner hands in (`LoaderOptions`) and how an attempt ends
 * (`LoaderOutcome`, whose exit code main.ts exits with).
 */
import type { QueueEvent } from "../queue-events/contract.ts";
import type { DataRecord } from "../ledger/data-record.ts";
import type { LedgerRecord } from "../ledger/ledger-record.ts";
import type { RangeSet } from "../ledger/range-set.ts";
import type { Backoff } from "../shared/backoff.ts";
import type { Logger } from "../shared/logger.ts";

/** What the loader needs from Kafka. Every call may reject; the loader retries. */
export interface LoaderTransport {
  /** Everything acknowledged for this task by any earlier writer, from the ledger topic. */
  readAcked(taskId: string): Promise<RangeSet>;
  /** Resolves once every record is acknowledged by all in-sync replicas (acks=all). */
  sendData(records: DataRecord[]): Promise<void>;
  sendLedger(record: LedgerRecord): Promise<void>;
  sendEvent(event: QueueEvent): Promise<void>;
}

export type LoaderOutcome =
  | { reason: "completed"; exitCode: 0 }
  | { reason: "terminated"; exitCode: number }
  | { reason: "fatal"; exitCode: number }
  | { reason: "crashed"; exitCode: number };

/** 128 + SIGTERM: a stopped loader did not finish its task, so its pod must not count as Succeeded. */
export const TERMINATED_EXIT_CODE = 143;

export interface LoaderOptions {
  logger: Logger;
  now?: () => number;
  writerId?: string;
  /** Fault `crash`: leave at once, no flush (main: process.exit). */
  crash: (exitCode: number) => void;
  /** Budget for the whole SIGTERM path inside the loader (main adds the disconnect and a hard stop). */
  shutdownBudgetMs?: number;
  newBackoff?: () => Backoff;
}
