/**
 * The sim's pod-process handles: a pod of a lab image is a real local process started by the process
 * runtime in its own process group (its pid is the group id), and its status names it
 * `containerID: process://<pid>`. Freezing sends SIGSTOP to that group, thawing SIGCONT; the kernel's own
 * answer (/proc/<pid>/stat state `T` for every process of the group) is what `inspect` reports, so the
 * evidence never rests on "the signal was sent".
 *
 * The pod is resolved through the API server on every call, by namespace, name and UID, so a fresh
 * process (`chaoslab cleanup`) thaws exactly what a crashed run froze, and never a pod that replaced it.
 * Pods of other images are simulated by kwok and have no process: freezing one is unsupported, said so.
 */
import fs from "node:fs";
import type * as k8s from "@kubernetes/client-node";
import { apiErrorCode } from "../../kube/apply.ts";
import { findLabImage } from "../../images.ts";
import { UnsupportedCapabilityError, type PodProcesses, type PodProcessHandles, type PodProcessState, type PodRef } from "../../provider.ts";

const PROCESS_SCHEME = "process://";
/** How long the kernel may take to report a signalled group stopped (or running again). */
const SETTLE_MS = 3_000;
const SETTLE_POLL_MS = 20;

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
}

/** `/proc/<pid>/stat`: `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const pid = Number(text.slice(0, text.indexOf(" ")));
  const pgrp = Number(fields[2]);
  if (!Number.isInteger(pid) || !Number.isInteger(pgrp) || !fields[0]) return undefined;
  return { pid, state: fields[0], pgrp };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Every live (not zombie) process of process group `pgid`, the leader first. */
export function groupProcesses(pgid: number): PodProcessState[] {
  const leader = readStat(pgid);
  if (!leader || leader.pgrp !== pgid || leader.state === "Z") return [];
  const members: PodProcessState[] = [{ pid: leader.pid, state: leader.state }];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === pgid) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== "Z") members.push({ pid: stat.pid, state: stat.state });
  }
  return members;
}

const isStopped = (member: PodProcessState) => member.state === "T";

function signal(pgid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, name);
    return true;
  } catch {
    return false;
  }
}

async function settle(pgid: number, done: (processes: PodProcessState[]) => boolean): Promise<PodProcessState[]> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const processes = groupProcesses(pgid);
    if (processes.length === 0 || done(processes) || Date.now() >= deadline) return processes;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

type Resolved = { kind: "process"; pgid: number; containerID: string } | { kind: "gone" } | { kind: "no-process"; why: string; unsupported: boolean };

function resolveFromPod(pod: k8s.V1Pod | undefined, ref: PodRef): Resolved {
  if (!pod || pod.metadata?.uid !== ref.uid) return { kind: "gone" };
  const containerID = pod.status?.containerStatuses?.[0]?.containerID;
  if (containerID?.startsWith(PROCESS_SCHEME)) {
    const pgid = Number(containerID.slice(PROCESS_SCHEME.length));
    if (Number.isInteger(pgid) && pgid > 1) return { kind: "process", pgid, containerID };
  }
  const image = pod.spec?.containers[0]?.image ?? "?";
  if (!findLabImage(image)) {
    return {
      kind: "no-process",
      unsupported: true,
      why: `pod ${ref.namespace}/${ref.name} runs image ${image}, which the sim only simulates (kwok): it has no process to freeze; target pods of the lab's own images (chaoslab/…)`,
    };
  }
  return { kind: "no-process", unsupported: false, why: `pod ${ref.namespace}/${ref.name} has no running process (phase ${pod.status?.phase ?? "?"})` };
}

function describe(ref: PodRef, containerID: string, processes: PodProcessState[]): PodProcesses {
  const pgid = containerID.slice(PROCESS_SCHEME.length);
  return { pod: ref, containerID, processes, frozen: processes.length > 0 && processes.every(isStopped), thawByHand: `kill -CONT -- -${pgid}` };
}

export class SimProcessFreezer implements PodProcessHandles {
  constructor(private readonly core: () => k8s.CoreV1Api) {}

  private async resolve(ref: PodRef): Promise<Resolved> {
    try {
      return resolveFromPod(await this.core().readNamespacedPod({ namespace: ref.namespace, name: ref.name }), ref);
    } catch (error) {
      if (apiErrorCode(error) === 404) return { kind: "gone" };
      throw error;
    }
  }

  async freeze(ref: PodRef): Promise<PodProcesses> {
    const resolved = await this.resolve(ref);
    if (resolved.kind === "gone") throw new Error(`pod ${ref.namespace}/${ref.name} (uid ${ref.uid}) is gone`);
    if (resolved.kind === "no-process") throw resolved.unsupported ? new UnsupportedCapabilityError(resolved.why) : new Error(resolved.why);
    if (groupProcesses(resolved.pgid).length === 0 || !signal(resolved.pgid, "SIGSTOP")) {
      throw new Error(`pod ${ref.namespace}/${ref.name}'s process group ${resolved.pgid} is not running`);
    }
    return describe(ref, resolved.containerID, await settle(resolved.pgid, (processes) => processes.every(isStopped)));
  }

  async thaw(ref: PodRef): Promise<"thawed" | "gone"> {
    const resolved = await this.resolve(ref);
    if (resolved.kind !== "process" || groupProcesses(resolved.pgid).length === 0) return "gone";
    if (!signal(resolved.pgid, "SIGCONT")) return "gone";
    await settle(resolved.pgid, (processes) => !processes.some(isStopped));
    return "thawed";
  }

  async inspect(ref: PodRef): Promise<PodProcesses | undefined> {
    const resolved = await this.resolve(ref);
    if (resolved.kind !== "process") return undefined;
    const processes = groupProcesses(resolved.pgid);
    return processes.length === 0 ? undefined : describe(ref, resolved.containerID, processes);
  }

  async listFrozen(): Promise<PodProcesses[]> {
    const pods = (await this.core().listPodForAllNamespaces({ fieldSelector: "status.phase=Running" })).items;
    const frozen: PodProcesses[] = [];
    for (const pod of pods) {
      const ref = { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid! };
      const resolved = resolveFromPod(pod, ref);
      if (resolved.kind !== "process") continue;
      const processes = groupProcesses(resolved.pgid);
      if (processes.some(isStopped)) frozen.push(describe(ref, resolved.containerID, processes));
    }
    return frozen;
  }
}
