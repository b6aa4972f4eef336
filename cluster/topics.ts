/**
 * The lab's Kafka topics: one source of truth for the sim (created through the admin API at `lab up`)
 * and the kind provider (KafkaTopic manifests, checked against this list by a unit test).
 * Replication factor is always 3 with min.insync.replicas 2 (set on the brokers).
 */
export interface LabTopic {
  topic: string;
  numPartitions: number;
}

export const LAB_TOPICS: readonly LabTopic[] = [
  // Keyed by task id: all events of one task stay in order on one partition.
  { topic: "queue-events", numPartitions: 6 },
  { topic: "loader-data", numPartitions: 6 },
  { topic: "loader-ledger", numPartitions: 3 },
];
