/**
 * The sim's freezer on real local processes (a detached `sh` with a child, as the process runtime starts a
 * pod: its own process group) behind a fake API server answer: the kernel's state is the evidence.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { UnsupportedCapabilityError } from "../../provider.ts";
import { groupProcesses, parseProcStat, SimProcessFreezer } from "./process-freezer.ts";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** A pod-like process group: a shell and a child of it, both sleeping. */
async function podProcess(): Promise<number> {
  const child = spawn("sh", ["-c", "sleep 30 & sleep 30; wait"], { detached: true, stdio: "ignore" });
  started.push(child);
  const deadline = Date.now() + 5_000;
  while (groupProcesses(child.pid!).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return child.pid!;
}

function fakeCore(pods: k8s.V1Pod[]): () => k8s.CoreV1Api {
  const core = {
    readNamespacedPod: async ({ namespace, name }: { namespace: string; name: string }) => {
      const pod = pods.find((candidate) => candidate.metadata!.namespace === namespace && candidate.metadata!.name === name);
      if (!pod) throw new k8s.ApiException(404, "not found", {}, {});
      return pod;
    },
    listPodForAllNamespaces: async () => ({ items: pods }),
  };
  return () => core as unknown as k8s.CoreV1Api;
}

function pod(name: string, uid: string, image: string, containerID?: string): k8s.V1Pod {
  return {
    metadata: { namespace: "streamforge", name, uid },
    spec: { containers: [{ name: "main", image }] },
    status: { phase: "Running", containerStatuses: containerID ? [{ name: "main", image, imageID: "", ready: true, restartCount: 0, containerID }] : [] },
  };
}

describe("parseProcStat", () => {
  it("reads pid, state and process group, also when the command name holds spaces and parentheses", () => {
    expect(parseProcStat("4242 (node) S 1 4242 4242 0 -1")).toEqual({ pid: 4242, state: "S", pgrp: 4242 });
    expect(parseProcStat("77 (a b) (c)) T 5 70 70 0")).toEqual({ pid: 77, state: "T", pgrp: 70 });
    expect(parseProcStat("garbage")).toBeUndefined();
  });
});

describe("SimProcessFreezer", () => {
  it("stops every process of the pod's group (state T), reports it frozen and listed, then thaws it", async () => {
    const pid = await podProcess();
    const ref = { namespace: "streamforge", name: "task-1", uid: "u1" };
    const freezer = new SimProcessFreezer(fakeCore([pod("task-1", "u1", "chaoslab/task:dev", `process://${pid}`)]));
    expect((await freezer.inspect(ref))!.frozen).toBe(false);
    const frozen = await freezer.freeze(ref);
    expect(frozen.processes.length).toBeGreaterThanOrEqual(2);
    expect(frozen.processes.map((member) => member.state)).toEqual(frozen.processes.map(() => "T"));
    expect(frozen).toMatchObject({ containerID: `process://${pid}`, frozen: true });
    expect((await freezer.listFrozen()).map((found) => found.pod)).toEqual([ref]);
    expect(await freezer.thaw(ref)).toBe("thawed");
    expect((await freezer.inspect(ref))!.processes.some((member) => member.state === "T")).toBe(false);
    expect(await freezer.listFrozen()).toEqual([]);
    // Idempotent: thawing a running pod again is fine.
    expect(await freezer.thaw(ref)).toBe("thawed");
  });

  it("treats a pod replaced under its name (another UID), deleted, or whose process exited as gone", async () => {
    const pid = await podProcess();
    const freezer = new SimProcessFreezer(fakeCore([pod("task-1", "u2", "chaoslab/task:dev", `process://${pid}`)]));
    expect(await freezer.inspect({ namespace: "streamforge", name: "task-1", uid: "u1" })).toBeUndefined();
    expect(await freezer.thaw({ namespace: "streamforge", name: "task-1", uid: "u1" })).toBe("gone");
    expect(await freezer.thaw({ namespace: "streamforge", name: "no-such-pod", uid: "u1" })).toBe("gone");
    await expect(freezer.freeze({ namespace: "streamforge", name: "no-such-pod", uid: "u1" })).rejects.toThrow("pod streamforge/no-such-pod (uid u1) is gone");
    process.kill(-pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await freezer.inspect({ namespace: "streamforge", name: "task-1", uid: "u2" })).toBeUndefined();
  });

  it("refuses a pod the sim only simulates (kwok image, no process) as unsupported, with the reason", async () => {
    const freezer = new SimProcessFreezer(fakeCore([pod("pause-1", "u3", "registry.k8s.io/pause:3.10")]));
    const error = await freezer.freeze({ namespace: "streamforge", name: "pause-1", uid: "u3" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedCapabilityError);
    expect((error as Error).message).toContain("runs image registry.k8s.io/pause:3.10, which the sim only simulates (kwok): it has no process to freeze");
  });
});
