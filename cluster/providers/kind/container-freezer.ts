/**
 * kind's pod-process handles: a pod's container is paused through the node's own runtime, as a kubelet
 * operator would do it by hand — `docker exec <node> ctr -n k8s.io task pause <container id>` (kind names
 * each node container after its Kubernetes node, so `spec.nodeName` is the container to exec into).
 *
 * containerd pauses through runc, which freezes the container's cgroup: the processes keep memory,
 * sockets and leases but get no CPU. They do not read as `T` in /proc (cgroup v1's freezer parks them
 * in `D`, cgroup v2's in `S`), so the evidence is what the node itself reports, read back after the
 * pause: the containerd task `PAUSED` *and* the kernel's freezer for the container's cgroup frozen
 * (v1 `freezer.state` FROZEN, v2 `cgroup.events` `frozen 1`), found through /proc/<task pid>/cgroup.
 * Each process of the cgroup (`cgroup.procs`) is listed with its /proc state, for the report.
 *
 * The pod is read again through kubectl on every call (namespace, name, UID; its first container's
 * `containerd://<id>`), so a fresh process (`chaoslab cleanup`) resumes exactly what a crashed run paused,
 * and a pod recreated under the same name is another pod: `gone`. `listFrozen` lists every PAUSED task
 * of the `k8s.io` namespace on every node that runs a pod, mapped back to its pod by container ID
 * (sandbox tasks and tasks of no pod are not the harness's to report).
 */
import type { CommandResult, CommandRunner, Step } from "../../kind/command-runner.ts";
import { PROBE_TIMEOUT_MS, runOrThrow } from "../../kind/command-runner.ts";
import type { Kubectl } from "../../kind/kubectl.ts";
import { UnsupportedCapabilityError, type PodProcesses, type PodProcessHandles, type PodProcessState, type PodRef } from "../../provider.ts";
import { parseProcStat } from "../../sim/lab/process-freezer.ts";

const CONTAINERD_SCHEME = "containerd://";
/** The containerd namespace the CRI plugin (the kubelet's containers) uses. */
const CRI_NAMESPACE = "k8s.io";
/** runc pauses synchronously; this only covers a busy node answering late. */
const SETTLE_MS = 5_000;
const SETTLE_POLL_MS = 100;

export interface ContainerdTask {
  id: string;
  pid: number;
  /** RUNNING, PAUSED, PAUSING, STOPPED, CREATED, UNKNOWN (ctr's words). */
  status: string;
}

/** `ctr task ls`: a header `TASK PID STATUS`, then one task per line. */
export function parseTaskList(stdout: string): Map<string, ContainerdTask> {
  const tasks = new Map<string, ContainerdTask>();
  for (const line of stdout.split("\n")) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (!id || !status || id === "TASK" || !/^\d+$/.test(pid ?? "")) continue;
    tasks.set(id, { id, pid: Number(pid), status });
  }
  return tasks;
}

/** Where the kernel's freezer of one cgroup is read, inside the node. */
export interface FreezerFiles {
  cgroupVersion: 1 | 2;
  /** v1 `freezer.state`, v2 `cgroup.events`. */
  state: string;
  procs: string;
}

/**
 * From /proc/<pid>/cgroup: the v1 freezer hierarchy's line (`6:freezer:/kubelet.slice/…`) when there is
 * one (hybrid hosts freeze through v1), else the unified line (`0::/…`).
 */
export function freezerFilesOf(procCgroup: string): FreezerFiles | undefined {
  const lines = procCgroup.split("\n").map((line) => /^\d+:([^:]*):(\/.*)$/.exec(line.trim())).filter((match) => match !== null);
  const v1 = lines.find((match) => match[1]!.split(",").includes("freezer"));
  if (v1) {
    const dir = `/sys/fs/cgroup/${v1[1]}${v1[2]}`;
    return { cgroupVersion: 1, state: `${dir}/freezer.state`, procs: `${dir}/cgroup.procs` };
  }
  const unified = lines.find((match) => match[1] === "");
  if (!unified) return undefined;
  const dir = `/sys/fs/cgroup${unified[2] === "/" ? "" : unified[2]}`;
  return { cgroupVersion: 2, state: `${dir}/cgroup.events`, procs: `${dir}/cgroup.procs` };
}

export interface FreezerReading {
  frozen: boolean;
  /** The kernel's own words, for the evidence (`freezer.state FROZEN`, `cgroup.events frozen 1`). */
  shown: string;
  pids: number[];
}

/** `grep -H '' <state file> <cgroup.procs>`: each line prefixed with its file name and a colon. */
export function parseFreezerReading(files: FreezerFiles, stdout: string): FreezerReading | undefined {
  const linesOf = (file: string) =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith(`${file}:`))
      .map((line) => line.slice(file.length + 1).trim());
  const state = linesOf(files.state);
  if (state.length === 0) return undefined;
  const pids = linesOf(files.procs).filter((line) => /^\d+$/.test(line)).map(Number);
  if (files.cgroupVersion === 1) return { frozen: state[0] === "FROZEN", shown: `freezer.state ${state[0]}`, pids };
  const frozenFlag = state.find((line) => line.startsWith("frozen "))?.slice("frozen ".length);
  return { frozen: frozenFlag === "1", shown: `cgroup.events frozen ${frozenFlag ?? "?"}`, pids };
}

/** `grep -h '' /proc/<pid>/stat …`: one stat line per live process. */
export function parseProcStates(stdout: string): PodProcessState[] {
  return stdout
    .split("\n")
    .map((line) => parseProcStat(line.trim()))
    .filter((stat) => stat !== undefined && stat.state !== "Z")
    .map((stat) => ({ pid: stat!.pid, state: stat!.state }));
}

interface PodView {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { nodeName?: string; containers?: { name: string; image?: string }[] };
  status?: { phase?: string; containerStatuses?: { name: string; containerID?: string }[] };
}

interface Container {
  node: string;
  id: string;
  containerID: string;
}

type Resolved = ({ kind: "container" } & Container) | { kind: "gone" } | { kind: "no-container"; why: string; unsupported: boolean };

function resolveFromPod(pod: PodView | undefined, ref: PodRef): Resolved {
  if (!pod || pod.metadata?.uid !== ref.uid) return { kind: "gone" };
  const first = pod.spec?.containers?.[0]?.name;
  const containerID = pod.status?.containerStatuses?.find((status) => status.name === first)?.containerID;
  const node = pod.spec?.nodeName;
  if (!containerID || !node) {
    return { kind: "no-container", unsupported: false, why: `pod ${ref.namespace}/${ref.name} has no running container to pause (phase ${pod.status?.phase ?? "?"}, node ${node ?? "none"})` };
  }
  if (!containerID.startsWith(CONTAINERD_SCHEME)) {
    return { kind: "no-container", unsupported: true, why: `pod ${ref.namespace}/${ref.name}'s container is ${containerID}: only containerd's (containerd://) can be paused through the node` };
  }
  return { kind: "container", node, id: containerID.slice(CONTAINERD_SCHEME.length), containerID };
}

const podId = (ref: PodRef) => `${ref.namespace}/${ref.name}`;

export class KindContainerFreezer implements PodProcessHandles {
  /** A container's cgroup does not move while it lives: found once per container. */
  private readonly freezerFiles = new Map<string, FreezerFiles>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly kubectl: Kubectl,
  ) {}

  private static inNode(node: string, args: string[]) {
    return { command: "docker", args: ["exec", node, ...args], timeoutMs: PROBE_TIMEOUT_MS };
  }

  /** A command in the node that must succeed. */
  private nodeCommand(node: string, args: string[], step: Step): Promise<string> {
    return runOrThrow(this.runner, KindContainerFreezer.inNode(node, args), step);
  }

  /** A read in the node whose failure means "gone" (a process or file that went away), not an error. */
  private nodeRead(node: string, args: string[]): Promise<CommandResult> {
    return this.runner(KindContainerFreezer.inNode(node, args));
  }

  private ctr(node: string, args: string[], step: Step): Promise<string> {
    return this.nodeCommand(node, ["ctr", "-n", CRI_NAMESPACE, ...args], step);
  }

  private async tasks(node: string): Promise<Map<string, ContainerdTask>> {
    return parseTaskList(
      await this.ctr(node, ["task", "ls"], {
        what: `list containerd tasks on kind node ${node}`,
        hint: `check the node container runs (\`docker ps --filter name=${node}\`); \`lab status\` says whether the lab is up`,
      }),
    );
  }

  private async resolve(ref: PodRef): Promise<Resolved> {
    const stdout = await this.kubectl.run(["get", "pod", ref.name, "--namespace", ref.namespace, "--ignore-not-found", "-o", "json"], {
      what: `read pod ${podId(ref)}`,
      hint: "check the kind cluster is reachable (`lab status`)",
    });
    return resolveFromPod(stdout.trim() ? (JSON.parse(stdout) as PodView) : undefined, ref);
  }

  /** The container's freezer and processes as the node reports them; undefined when its task or cgroup is gone. */
  private async read(ref: PodRef, container: Container, task: ContainerdTask | undefined): Promise<PodProcesses | undefined> {
    if (!task || task.status === "STOPPED") return undefined;
    const { node, id } = container;
    let files = this.freezerFiles.get(id);
    if (!files) {
      const procCgroup = await this.nodeRead(node, ["cat", `/proc/${task.pid}/cgroup`]);
      if (procCgroup.exitCode !== 0) return undefined;
      files = freezerFilesOf(procCgroup.stdout);
      if (!files) throw new Error(`container ${id} of pod ${podId(ref)} on kind node ${node}: /proc/${task.pid}/cgroup names no freezer hierarchy and no unified cgroup:\n${procCgroup.stdout}`);
      this.freezerFiles.set(id, files);
    }
    // grep: every line prefixed by its file; exit 2 (a file gone) with output still usable.
    const freezerOutput = await this.nodeRead(node, ["grep", "-s", "-H", "", files.state, files.procs]);
    const freezer = parseFreezerReading(files, freezerOutput.stdout);
    if (!freezer) return undefined;
    const stats = freezer.pids.length === 0 ? { stdout: "" } : await this.nodeRead(node, ["grep", "-s", "-h", "", ...freezer.pids.map((pid) => `/proc/${pid}/stat`)]);
    return {
      pod: ref,
      containerID: container.containerID,
      processes: parseProcStates(stats.stdout),
      frozen: task.status === "PAUSED" && freezer.frozen,
      freezer: `containerd task ${task.status}, ${freezer.shown}`,
      thawByHand: `docker exec ${node} ctr -n ${CRI_NAMESPACE} task resume ${id}`,
    };
  }

  private async settle(ref: PodRef, container: Container, done: (found: PodProcesses | undefined) => boolean): Promise<PodProcesses | undefined> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const found = await this.read(ref, container, (await this.tasks(container.node)).get(container.id));
      if (done(found) || Date.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }

  async freeze(ref: PodRef): Promise<PodProcesses> {
    const resolved = await this.resolve(ref);
    if (resolved.kind === "gone") throw new Error(`pod ${podId(ref)} (uid ${ref.uid}) is gone`);
    if (resolved.kind === "no-container") throw resolved.unsupported ? new UnsupportedCapabilityError(resolved.why) : new Error(resolved.why);
    const task = (await this.tasks(resolved.node)).get(resolved.id);
    if (!task || task.status === "STOPPED") {
      throw new Error(`pod ${podId(ref)}'s container ${resolved.id} has no running containerd task on kind node ${resolved.node} (${task ? "STOPPED" : "no task"}): it exited or is restarting; target a running pod`);
    }
    if (task.status !== "PAUSED") {
      await this.ctr(resolved.node, ["task", "pause", resolved.id], {
        what: `pause container ${resolved.id} of pod ${podId(ref)} on kind node ${resolved.node}`,
        hint: `read containerd's answer above; \`docker exec ${resolved.node} ctr -n ${CRI_NAMESPACE} task ls\` shows the container's task`,
      });
    }
    const found = await this.settle(ref, resolved, (seen) => seen?.frozen === true);
    if (!found) throw new Error(`pod ${podId(ref)}'s container ${resolved.id} on kind node ${resolved.node} was gone right after the pause`);
    return found;
  }

  async thaw(ref: PodRef): Promise<"thawed" | "gone"> {
    const resolved = await this.resolve(ref);
    if (resolved.kind !== "container") return "gone";
    const task = (await this.tasks(resolved.node)).get(resolved.id);
    if (!task || task.status === "STOPPED") return "gone";
    if (task.status === "PAUSED" || task.status === "PAUSING") {
      const resume = this.ctr(resolved.node, ["task", "resume", resolved.id], {
        what: `resume container ${resolved.id} of pod ${podId(ref)} on kind node ${resolved.node}`,
        hint: `run \`chaoslab cleanup\` again, or resume it by hand: docker exec ${resolved.node} ctr -n ${CRI_NAMESPACE} task resume ${resolved.id}`,
      });
      // The kubelet may remove the container between the listing and the resume: that is `gone`, not a failure.
      const failure = await resume.then(() => undefined, (error: unknown) => error);
      if (failure) {
        const now = (await this.tasks(resolved.node)).get(resolved.id);
        if (!now || now.status === "STOPPED") return "gone";
        throw failure;
      }
    }
    const found = await this.settle(ref, resolved, (seen) => !seen?.frozen);
    return found ? "thawed" : "gone";
  }

  async inspect(ref: PodRef): Promise<PodProcesses | undefined> {
    const resolved = await this.resolve(ref);
    if (resolved.kind !== "container") return undefined;
    return this.read(ref, resolved, (await this.tasks(resolved.node)).get(resolved.id));
  }

  async listFrozen(): Promise<PodProcesses[]> {
    const pods = await this.kubectl.getJson<{ items: PodView[] }>(["get", "pods", "--all-namespaces"], {
      what: "list the cluster's pods",
      hint: "check the kind cluster is reachable (`lab status`)",
    });
    const byContainerId = new Map<string, { ref: PodRef; container: Container }>();
    for (const pod of pods.items) {
      const ref = { namespace: pod.metadata?.namespace ?? "", name: pod.metadata?.name ?? "", uid: pod.metadata?.uid ?? "" };
      const node = pod.spec?.nodeName;
      for (const status of pod.status?.containerStatuses ?? []) {
        if (!node || !status.containerID?.startsWith(CONTAINERD_SCHEME)) continue;
        const id = status.containerID.slice(CONTAINERD_SCHEME.length);
        byContainerId.set(id, { ref, container: { node, id, containerID: status.containerID } });
      }
    }
    const nodes = [...new Set([...byContainerId.values()].map(({ container }) => container.node))].sort();
    const frozen: PodProcesses[] = [];
    for (const node of nodes) {
      for (const task of (await this.tasks(node)).values()) {
        const owner = byContainerId.get(task.id);
        if (!owner || (task.status !== "PAUSED" && task.status !== "PAUSING")) continue;
        const found = await this.read(owner.ref, owner.container, task);
        if (found) frozen.push(found);
      }
    }
    return frozen;
  }
}
