/** Every fault type. A new fault is one module in this folder plus one line here. */
import type { FaultType } from "./fault.ts";
import { kafkaBrokerFailureFault } from "./kafka-broker-failure.ts";
import { kafkaOutageFault } from "./kafka-outage.ts";
import { networkBandwidthFault } from "./network-bandwidth.ts";
import { networkLatencyFault } from "./network-latency.ts";
import { networkLossFault } from "./network-loss.ts";
import { networkPartitionFault } from "./network-partition.ts";
import { podDeleteFault } from "./pod-delete.ts";
import { processFreezeFault } from "./process-freeze.ts";

export const FAULT_TYPES: readonly FaultType[] = [podDeleteFault, networkLatencyFault, kafkaBrokerFailureFault, networkPartitionFault, kafkaOutageFault, processFreezeFault, networkBandwidthFault, networkLossFault] as FaultType[];
