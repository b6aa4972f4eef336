/**
 * What the `kafka.ledger` probe reads: every ledger record and every consumed data record of this run,
 * and whether the reader has caught up with the topics' ends (a ledger judged half-read would report
 * loss that is only lag — or worse, miss loss whose acknowledgement it has not read yet).
 */
import type { LedgerRecord } from "../../../workloads/ledger/ledger-record.ts";
import type { ConsumedRecord } from "../../../workloads/ledger/compute.ts";

export interface LedgerSnapshot {
  caughtUp: boolean;
  /** Why not caught up, or what was read: `loader-data 4200/4300, loader-ledger 97/97`. */
  detail: string;
  records: LedgerRecord[];
  consumed: ConsumedRecord[];
  invalidRecords: number;
}

export interface LedgerFeed {
  snapshot(): Promise<LedgerSnapshot>;
  close(): Promise<void>;
}

/** Key of the feed in the run's shared resources: one consumer per run, whatever the number of probes. */
export const LEDGER_FEED_KEY = "kafka.ledger.feed";
