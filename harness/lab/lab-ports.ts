/** The real ports of a lab, from its description: what `plan` and `run` use. */
import type { LabDescription } from "../../cluster/provider.ts";
import type { RunPorts } from "../core/context.ts";
import { KafkaAdminReader } from "./kafka-client.ts";
import { kafkaRttMeter } from "./kafka-rtt-meter.ts";
import { kafkaTransferMeter } from "./kafka-transfer-meter.ts";
import { KubeClient } from "./kube-client.ts";

export function createLabPorts(description: LabDescription): RunPorts & { close(): Promise<void> } {
  const kafka = new KafkaAdminReader(description.kafka.bootstrapDirect, "chaoslab-harness");
  const kafkaWorkloads = new KafkaAdminReader(description.kafka.bootstrapWorkloads, "chaoslab-harness-workloads-path");
  return {
    kube: KubeClient.fromKubeconfig(description.kubeconfig),
    kafka,
    kafkaWorkloads,
    rtt: kafkaRttMeter,
    transfer: kafkaTransferMeter,
    close: async () => {
      await Promise.all([kafka.close(), kafkaWorkloads.close()]);
    },
  };
}
