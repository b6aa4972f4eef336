import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { LABELS, LOADER_FATAL_EXIT_CODE } from "../queue-events/contract.ts";
import { loadLoaderConfig } from "../loader/config.ts";
import { buildLoaderJob, KAFKA_CONFIGMAP, kafkaWorkloadsKey, LOADER_JOB_EXAMPLE, type EnvVar, type LoaderJob } from "./loader-job.ts";
import { LOADER_JOB_EXAMPLE_FILE, loaderJobExampleYaml } from "./render-examples.ts";

/** Resolves the env the way the kubelet (and the sim's process runtime) would for a pod of this Job. */
function resolveEnv(job: LoaderJob, podLabels: Record<string, string>, configMap: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of job.spec.template.spec.containers[0]!.env as EnvVar[]) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath === "metadata.namespace") env[variable.name] = job.metadata.namespace;
    const label = fieldPath && /^metadata\.labels\['(.+)'\]$/.exec(fieldPath)?.[1];
    if (label) env[variable.name] = podLabels[label] ?? "";
    const key = variable.valueFrom?.configMapKeyRef?.key;
    if (key) env[variable.name] = configMap[key]!;
  }
  return env;
}

describe("buildLoaderJob", () => {
  it("renders exactly the checked-in example (regenerate with render-examples.ts)", async () => {
    const onDisk = await readFile(LOADER_JOB_EXAMPLE_FILE, "utf8");
    expect(onDisk, "loader-job.example.yaml drifted from the builder: run `node --import tsx workloads/manifests/render-examples.ts`").toBe(
      loaderJobExampleYaml(),
    );
    expect(parse(onDisk)).toEqual(buildLoaderJob(LOADER_JOB_EXAMPLE));
  });

  it("gives a pod of the Job an env the loader accepts, identity coming from the pod's labels", () => {
    const job = buildLoaderJob({ name: "loader-3", messages: 100, ratePerSec: 20, heartbeatIntervalMs: 2000, faults: [{ kind: "crash", afterMs: 5000, exitCode: 3 }] });
    // What the Job controller adds to its pods; what the healer changes on a replacement's template.
    const podLabels = { ...job.spec.template.metadata.labels, "batch.kubernetes.io/job-name": "loader-3-r1", "batch.kubernetes.io/controller-uid": "u-1", [LABELS.attempt]: "1" };
    const config = loadLoaderConfig(resolveEnv(job, podLabels, { workloads: "127.0.0.1:1,127.0.0.1:2" }));
    expect(config).toMatchObject({
      taskId: "loader-3",
      attempt: 1,
      jobName: "loader-3-r1",
      jobUid: "u-1",
      namespace: "streamforge",
      messages: 100,
      ratePerSec: 20,
      heartbeatIntervalMs: 2000,
      // The replacement (attempt 1) carries the profile but does not apply it (FAULT_ATTEMPTS=first).
      faults: [],
      configuredFaults: [{ kind: "crash", afterMs: 5000, exitCode: 3 }],
      brokers: ["127.0.0.1:1", "127.0.0.1:2"],
    });
    const always = buildLoaderJob({ name: "loader-3", messages: 100, ratePerSec: 20, faults: "crash-after=5s,exit=3", faultAttempts: "all" });
    expect(loadLoaderConfig(resolveEnv(always, { ...always.spec.template.metadata.labels, "batch.kubernetes.io/job-name": "loader-3-r1", "batch.kubernetes.io/controller-uid": "u-1", [LABELS.attempt]: "1" }, { workloads: "127.0.0.1:1" })).faults).toEqual([
      { kind: "crash", afterMs: 5000, exitCode: 3 },
    ]);
  });

  it("bootstraps on its run's Kafka lane when given one, else on the shared workloads path", () => {
    const configMap = { workloads: "127.0.0.1:31291", "workloads-lane-2": "127.0.0.1:31311" };
    const labels = (job: LoaderJob) => ({ ...job.spec.template.metadata.labels, "batch.kubernetes.io/job-name": "loader-1", "batch.kubernetes.io/controller-uid": "u-1" });
    const onLane = buildLoaderJob({ name: "loader-1", messages: 1, ratePerSec: 1, kafkaLane: 2 });
    const shared = buildLoaderJob({ name: "loader-1", messages: 1, ratePerSec: 1 });
    expect(loadLoaderConfig(resolveEnv(onLane, labels(onLane), configMap)).brokers).toEqual(["127.0.0.1:31311"]);
    expect(loadLoaderConfig(resolveEnv(shared, labels(shared), configMap)).brokers).toEqual(["127.0.0.1:31291"]);
    expect(kafkaWorkloadsKey(2)).toBe("workloads-lane-2");
    expect(kafkaWorkloadsKey(undefined)).toBe(KAFKA_CONFIGMAP.workloadsKey);
  });

  it("carries the healer's labels on Job and pods, and fails the Job on the fatal exit code only", () => {
    const job = buildLoaderJob({ name: "loader-2", taskId: "task-2", messages: 1, ratePerSec: 1, labels: { "chaoslab.streamforge.io/run-id": "r1" } });
    for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
      expect(labels).toMatchObject({ [LABELS.managed]: "true", [LABELS.taskId]: "task-2", [LABELS.attempt]: "0", app: "loader", "chaoslab.streamforge.io/run-id": "r1" });
    }
    expect(job.spec.podFailurePolicy.rules).toEqual([
      { action: "FailJob", onExitCodes: { containerName: "loader", operator: "In", values: [LOADER_FATAL_EXIT_CODE] } },
    ]);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.containers[0]!.name).toBe("loader");
    expect(job.metadata.annotations).toEqual({ "healer.streamforge.io/heartbeat-interval": "10s" });
  });

  it("takes the fault profile as text or structure, and validates it here", () => {
    const fault = (job: LoaderJob) => job.spec.template.spec.containers[0]!.env.find((variable) => variable.name === "FAULT")?.value;
    expect(fault(buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faults: "stall-after=10s" }))).toBe("stall-after=10s");
    expect(fault(buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1 }))).toBe("none");
    expect(() => buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faults: "stall-after=10" })).toThrow(/FAULT="stall-after=10"/);
  });

  it("rejects bad specs with every problem named", () => {
    expect(() =>
      buildLoaderJob({ name: "Loader_1", messages: -1, ratePerSec: 0, heartbeatIntervalMs: 5000, silenceThresholdMs: 10_000 }),
    ).toThrow(/name: expected a DNS-1123 label.*messages: expected a whole number >= 0.*ratePerSec: expected > 0.*silenceThresholdMs: the healer rejects thresholds below 3 × heartbeat \(15000 ms\)/);
    expect(() => buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, labels: { [LABELS.managed]: "false" } })).toThrow(
      /label healer.streamforge.io\/managed is set by the builder/,
    );
  });

  it("applies the fault profile to attempt 0 only unless faultAttempts is all (env FAULT_ATTEMPTS)", () => {
    const envOf = (job: LoaderJob, name: string) => job.spec.template.spec.containers[0]!.env.find((variable) => variable.name === name)?.value;
    expect(envOf(buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faults: "stall-after=5s" }), "FAULT_ATTEMPTS")).toBeUndefined();
    expect(envOf(buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faults: "stall-after=5s", faultAttempts: "first" }), "FAULT_ATTEMPTS")).toBeUndefined();
    expect(envOf(buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faults: "stall-after=5s", faultAttempts: "all" }), "FAULT_ATTEMPTS")).toBe("all");
    expect(() => buildLoaderJob({ name: "l", messages: 1, ratePerSec: 1, faultAttempts: "every" as "all" })).toThrow(/faultAttempts: expected "first" or "all"/);
  });
});
