/**
 * What a lab test gets: the lab description, API clients on the lab's kubeconfig, Kafka on the direct
 * (instrument) listener, and the provider's fault handles.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { Kafka, logLevel } from "kafkajs";
import { inject } from "vitest";
import type { LabDescription, StartedLab } from "../provider.ts";
import { loadKubeConfig } from "../kube/apply.ts";
import { SimLab } from "../sim/lab/sim-lab.ts";

export interface LabFixture {
  description: LabDescription;
  lab: StartedLab;
  kubeConfig: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
  /** Kafka through the direct listener (never behind a fault proxy). */
  kafkaDirect: (clientId: string) => Kafka;
  /** Kafka the way workloads reach it (through Toxiproxy on the sim). */
  kafkaWorkloads: (clientId: string) => Kafka;
}

export function labFixture(): LabFixture {
  const description = inject("lab");
  if (description.provider !== "sim") throw new Error(`lab tests run on the sim provider; got ${description.provider}`);
  const kubeConfig = loadKubeConfig(description.kubeconfig);
  const kafka = (brokers: string[]) => (clientId: string) =>
    new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 } });
  return {
    description,
    lab: new SimLab(description),
    kubeConfig,
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    batch: kubeConfig.makeApiClient(k8s.BatchV1Api),
    apps: kubeConfig.makeApiClient(k8s.AppsV1Api),
    custom: kubeConfig.makeApiClient(k8s.CustomObjectsApi),
    kafkaDirect: kafka(description.kafka.bootstrapDirect),
    kafkaWorkloads: kafka(description.kafka.bootstrapWorkloads),
  };
}

/** A short random suffix so test objects never collide across runs on a kept lab. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}
