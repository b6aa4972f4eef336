import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { eventually } from "../testing/eventually.ts";
import { labFixture, uniqueName } from "../testing/lab-fixture.ts";
import { isAlive } from "./supervisor.ts";
import { POD_IP_PREFIX } from "./layout.ts";

const fixture = labFixture();
const namespace = "streamforge";
const created: string[] = [];

function taskJob(name: string, options: { completions?: number; backoffLimit: number; env: Record<string, string> }): k8s.V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace },
    spec: {
      completions: options.completions ?? 1,
      parallelism: 1,
      backoffLimit: options.backoffLimit,
      template: {
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 2,
          containers: [{ name: "task", image: "chaoslab/task:dev", env: Object.entries(options.env).map(([key, value]) => ({ name: key, value })) }],
        },
      },
    },
  };
}

async function createJob(job: k8s.V1Job) {
  created.push(job.metadata!.name!);
  await fixture.batch.createNamespacedJob({ namespace, body: job });
}

function jobCondition(job: k8s.V1Job, type: string) {
  return job.status?.conditions?.find((condition) => condition.type === type && condition.status === "True");
}

async function podsOf(jobName: string) {
  return (await fixture.core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` })).items;
}

function processId(pod: k8s.V1Pod): number | undefined {
  const id = pod.status?.containerStatuses?.[0]?.containerID;
  return id?.startsWith("process://") ? Number(id.slice("process://".length)) : undefined;
}

afterAll(async () => {
  for (const name of created) {
    await fixture.batch.deleteNamespacedJob({ name, namespace, body: { propagationPolicy: "Background" } }).catch(() => {});
  }
});

describe("process runtime: pods of lab images run as real local processes", () => {
  it("a Job with completions: 2 reaches Complete from the processes' real exit codes", async () => {
    const name = uniqueName("complete-twice");
    await createJob(taskJob(name, { completions: 2, backoffLimit: 0, env: { RUN_MS: "300" } }));
    const job = await eventually(
      `Job ${name} Complete`,
      () => fixture.batch.readNamespacedJob({ name, namespace }),
      (candidate) => Boolean(jobCondition(candidate, "Complete") || jobCondition(candidate, "Failed")),
      { timeoutMs: 60_000 },
    );
    expect(jobCondition(job, "Complete"), JSON.stringify(job.status)).toBeDefined();
    expect(job.status?.succeeded).toBe(2);
    const pods = await podsOf(name);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      // Run by the process runtime (loopback pod IP, real exit code), not completed by a kwok stage.
      expect(pod.status?.podIP?.startsWith(`${POD_IP_PREFIX}.`), pod.status?.podIP).toBe(true);
      expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
      expect(pod.status?.phase).toBe("Succeeded");
    }
  });

  it("a Job whose process exits 1 reaches Failed after backoffLimit retries", async () => {
    const name = uniqueName("always-fails");
    await createJob(taskJob(name, { backoffLimit: 1, env: { RUN_MS: "100", EXIT_CODE: "1" } }));
    // The Job controller backs off 10 s before the retry.
    const job = await eventually(
      `Job ${name} Failed`,
      () => fixture.batch.readNamespacedJob({ name, namespace }),
      (candidate) => Boolean(jobCondition(candidate, "Failed") || jobCondition(candidate, "Complete")),
      { timeoutMs: 90_000 },
    );
    expect(jobCondition(job, "Failed")?.reason).toBe("BackoffLimitExceeded");
    expect(job.status?.failed).toBe(2);
    const pods = await podsOf(name);
    expect(pods.map((pod) => pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode)).toEqual([1, 1]);
  });

  it("deleting a running pod stops its process within the grace period (SIGTERM, then SIGKILL)", async () => {
    for (const ignoreSigterm of [false, true]) {
      const name = uniqueName(ignoreSigterm ? "hangs-on-term" : "runs-long");
      await createJob(taskJob(name, { backoffLimit: 0, env: { RUN_MS: "600000", IGNORE_SIGTERM: ignoreSigterm ? "1" : "0" } }));
      const [pod] = await eventually(
        `a running process for Job ${name}`,
        () => podsOf(name),
        (pods) => pods.length === 1 && pods[0]!.status?.phase === "Running" && processId(pods[0]!) !== undefined,
        { timeoutMs: 60_000 },
      );
      const pid = processId(pod!)!;
      expect(isAlive(pid)).toBe(true);
      // Running is reported at spawn; wait until the program itself runs (its SIGTERM handler is set).
      const logFile = path.join(fixture.description.stateDir, "pods", `${namespace}_${pod!.metadata!.name}_${pod!.metadata!.uid}`, "task.log");
      await eventually(`${logFile} to show the task running`, () => fs.readFile(logFile, "utf8").catch(() => ""), (text) => text.includes("running"), { timeoutMs: 20_000 });
      const deletedAt = Date.now();
      await fixture.core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace, body: { gracePeriodSeconds: 2 } });
      await eventually(`process ${pid} of pod ${pod!.metadata!.name} to stop`, async () => isAlive(pid), (alive) => !alive, { timeoutMs: 10_000, intervalMs: 50 });
      const stoppedAfterMs = Date.now() - deletedAt;
      // Grace 2 s: a process that obeys SIGTERM stops at once; one that ignores it is killed at ~2 s.
      if (ignoreSigterm) expect(stoppedAfterMs).toBeGreaterThanOrEqual(1_800);
      else expect(stoppedAfterMs).toBeLessThan(1_800);
      expect(stoppedAfterMs).toBeLessThan(2_000 + 1_500);
    }
  });
});
