import { describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { EnvResolutionError, resolveContainerEnv, type ObjectReader } from "./pod-env.ts";

const pod: k8s.V1Pod = {
  metadata: {
    name: "loader-1-abcde",
    namespace: "streamforge",
    uid: "pod-uid-1",
    labels: { "batch.kubernetes.io/controller-uid": "job-uid-9", app: "loader" },
    annotations: { note: "hello" },
  },
  spec: { containers: [], nodeName: "chaoslab-worker", serviceAccountName: "healer" },
};

const reader: ObjectReader = {
  configMap: async (namespace, name) => (namespace === "streamforge" && name === "streamforge-kafka" ? { workloads: "127.0.0.1:31291", instruments: "127.0.0.1:31091" } : undefined),
  secret: async () => undefined,
};

describe("resolveContainerEnv", () => {
  it("resolves values, downward-API fieldRefs, ConfigMap keys and $(VAR) expansion", async () => {
    const env = await resolveContainerEnv(
      pod,
      {
        name: "loader",
        env: [
          { name: "TASK", value: "task-1" },
          { name: "GREETING", value: "run $(TASK) now" },
          { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "JOB_UID", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']" } } },
          { name: "NOTE", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
          { name: "LISTEN_HOST", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "KAFKA_BROKERS", valueFrom: { configMapKeyRef: { name: "streamforge-kafka", key: "workloads" } } },
        ],
      },
      "127.10.0.7",
      reader,
    );
    expect(env).toEqual({
      TASK: "task-1",
      GREETING: "run task-1 now",
      POD: "loader-1-abcde",
      JOB_UID: "job-uid-9",
      NOTE: "hello",
      LISTEN_HOST: "127.10.0.7",
      KAFKA_BROKERS: "127.0.0.1:31291",
    });
  });

  it("names the pod, variable and object when a required reference is missing", async () => {
    await expect(
      resolveContainerEnv(pod, { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }] }, "127.10.0.1", reader),
    ).rejects.toThrow(new EnvResolutionError("pod streamforge/loader-1-abcde: env X refers to ConfigMap streamforge/nope key k, which does not exist"));
  });

  it("skips optional references that are missing", async () => {
    const env = await resolveContainerEnv(
      pod,
      { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } }] },
      "127.10.0.1",
      reader,
    );
    expect(env).toEqual({});
  });
});
