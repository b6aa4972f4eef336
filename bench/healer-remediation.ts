/**
 * Bench phase 3, remediation on the lab: a healer instance deployed as pods (cluster/healer/deploy.ts),
 * silent `chaoslab/task` Jobs created 1.5 s apart; decision (detect) → replacement created, read from
 * the healer's decision log in the sim's pod logs.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LABELS } from "../workloads/queue-events/contract.ts";
import { STREAMFORGE_NAMESPACE } from "../workloads/queue-events/namespace.ts";

const log = (line: string) => process.stderr.write(`[bench-healer] ${line}\n`);

export async function remediationOnLab(): Promise<{ samplesMs: number[]; note?: string }> {
  const { attachSimLab } = await import("../cluster/sim/lab/sim-lab.ts");
  const { loadKubeConfig, rawRequest } = await import("../cluster/kube/apply.ts");
  const { deployHealer } = await import("../cluster/healer/deploy.ts");
  const lab = await attachSimLab();
  if (!lab) return { samplesMs: [], note: "no sim lab up: remediation not measured (make lab-up)" };
  const kubeConfig = loadKubeConfig(lab.description.kubeconfig);
  const instance = `bench-healer-${randomBytes(3).toString("hex")}`;
  const selector = `chaoslab.test/healer=${instance}`;
  const healer = await deployHealer(kubeConfig, {
    name: instance,
    replicas: 1,
    timeoutMs: 120_000,
    config: {
      HEALER_MANAGED_SELECTOR: selector,
      HEALER_HEARTBEAT_INTERVAL: "1s",
      HEALER_SILENCE_THRESHOLD: "5s",
      HEALER_NO_PROGRESS_THRESHOLD: "6s",
      HEALER_GRACE_PERIOD: "6s",
      HEALER_CANARY_INTERVAL: "1s",
      HEALER_CANARY_TIMEOUT: "3s",
      HEALER_BREAKER_SETTLE_PERIOD: "2s",
      HEALER_BREAKER_MIN_SILENT_JOBS: "6",
      HEALER_RATE_LIMIT_PER_MINUTE: "120",
      HEALER_RATE_LIMIT_BURST: "30",
      HEALER_RESTART_BUDGET: "1",
      HEALER_OLD_POD_GRACE_SLACK: "3s",
      HEALER_REMEDIATION_POLL_INTERVAL: "200ms",
    },
  });
  const count = 12;
  const names: string[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const name = `${instance}-t${index}`;
      names.push(name);
      const labels = { [selector.split("=")[0]!]: instance, [LABELS.taskId]: name, [LABELS.attempt]: "0" };
      await rawRequest(kubeConfig, "POST", `/apis/batch/v1/namespaces/${STREAMFORGE_NAMESPACE}/jobs`, {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name, namespace: STREAMFORGE_NAMESPACE, labels },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              terminationGracePeriodSeconds: 1,
              containers: [{ name: "task", image: "chaoslab/task:dev", env: [{ name: "RUN_MS", value: "120000" }] }],
            },
          },
        },
      });
      await sleep(1_500);
    }
    // Each goes silent from the start: STOP at the end of its grace; wait for every decision to be followed by a create.
    const podsDir = path.join(lab.description.stateDir, "pods");
    const deadline = Date.now() + 90_000;
    let samplesMs: number[] = [];
    while (Date.now() < deadline) {
      const lines = fs
        .readdirSync(podsDir)
        .filter((entry) => entry.startsWith(`${STREAMFORGE_NAMESPACE}_${instance}-`))
        .flatMap((entry) => {
          try {
            return fs.readFileSync(path.join(podsDir, entry, "healer.log"), "utf8").split("\n");
          } catch {
            return [];
          }
        })
        .filter((line) => line.includes('"decision":true'))
        .map((line) => JSON.parse(line) as { time: string; uid: string; job: string; action: string; result: string; detail?: string; attempt: number });
      const detected = new Map(lines.filter((line) => line.action === "detect" && line.result === "detected" && line.attempt === 0).map((line) => [line.uid, Date.parse(line.time)]));
      const created = new Map(lines.filter((line) => line.action === "replace" && line.detail === "replacement created suspended").map((line) => [line.uid, Date.parse(line.time)]));
      samplesMs = [...detected].filter(([uid]) => created.has(uid)).map(([uid, at]) => created.get(uid)! - at);
      if (samplesMs.length >= count) break;
      await sleep(1_000);
    }
    return { samplesMs, note: samplesMs.length < count ? `only ${samplesMs.length} of ${count} remediations observed within 90 s` : undefined };
  } finally {
    for (const name of [...names, ...names.map((name) => `${name}-r1`)]) {
      await rawRequest(kubeConfig, "DELETE", `/apis/batch/v1/namespaces/${STREAMFORGE_NAMESPACE}/jobs/${name}`, { propagationPolicy: "Background" }).catch(() => undefined);
    }
    await healer.remove().catch((error: unknown) => log(`removing ${instance}: ${(error as Error).message}`));
  }
}
