/** The healer's production dependencies: the Kubernetes API over the raw transport, and kafkajs. */
import { KubeConfig } from "@kubernetes/client-node";
import { Kafka, logLevel } from "kafkajs";
import type { HealerDeps } from "./healer.ts";
import { KafkaEventStream, kafkaLogCreator } from "./inputs/event-stream.ts";
import { HttpKubeApi, jobListWatch, podListWatch } from "./kube/kube-api.ts";
import { HttpKubeTransport } from "./kube/kube-client.ts";
import { KafkaQueueEventSink } from "./outputs/event-publisher.ts";
import { systemClock } from "./runtime/clock.ts";
import type { HealerConfig } from "./runtime/config.ts";
import type { Logger } from "./runtime/logger.ts";

/**
 * The real dependencies: kubeconfig (KUBECONFIG, ~/.kube/config or the pod's service account — or the
 * one given, e.g. a lab's admin kubeconfig in lab tests), the raw API transport, kafkajs.
 */
export function createProductionDeps(config: HealerConfig, logger: Logger, options: { kubeConfig?: KubeConfig } = {}): HealerDeps {
  const kubeConfig = options.kubeConfig ?? new KubeConfig();
  if (!options.kubeConfig) kubeConfig.loadFromDefault();
  const transport = new HttpKubeTransport(kubeConfig, config.apiRequestTimeoutMs);
  const kafka = new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
  });
  return {
    kube: new HttpKubeApi(transport),
    jobs: jobListWatch(transport),
    pods: podListWatch(transport),
    eventStreams: () => new KafkaEventStream(kafka, { groupId: config.kafka.groupId }, systemClock, logger),
    sink: new KafkaQueueEventSink(kafka),
    logger,
  };
}
