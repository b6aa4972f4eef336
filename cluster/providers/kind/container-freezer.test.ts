import { describe, expect, it } from "vitest";
import { Kubectl } from "../../kind/kubectl.ts";
import { FakeCommandRunner } from "../../testing/fake-command-runner.ts";
import { UnsupportedCapabilityError } from "../../provider.ts";
import {
  FAKE_CONTAINER_ID as ID,
  FAKE_NODE as NODE,
  FAKE_SCOPE as SCOPE,
  FAKE_V1_FREEZER_DIR as V1_DIR,
  FAKE_V1_PROC_CGROUP as V1_PROC_CGROUP,
  fakeKindPod,
  fakeTaskList as taskList,
  scriptKindNode,
} from "../../testing/fake-kind-node.ts";
import { KindContainerFreezer, freezerFilesOf, parseFreezerReading, parseProcStates, parseTaskList } from "./container-freezer.ts";

const REF = { namespace: "streamforge", name: "loader-1-a", uid: "uid-1" };
const pod = (overrides: { uid?: string; containerID?: string | null } = {}) => fakeKindPod({ ...REF, uid: overrides.uid ?? REF.uid }, overrides);

/** One kind node whose containerd pauses and resumes the container, and a kubectl that shows `pods`. */
function fakeNode(pods = [pod()]) {
  const runner = new FakeCommandRunner();
  const node = scriptKindNode(runner, pods);
  const freezer = new KindContainerFreezer(runner.run, new Kubectl(runner.run, "/state/kubeconfig"));
  return { node, runner, freezer };
}

describe("kind container freezer: parsing what the node prints", () => {
  it("reads `ctr task ls` into tasks by id, skipping the header and blank lines", () => {
    const tasks = parseTaskList(taskList("PAUSED"));
    expect([...tasks.values()]).toEqual([
      { id: "9e820aa8bce0ce492920a14ce0cf64cde565ecf50675948e919f83158eedc88e", pid: 393, status: "RUNNING" },
      { id: ID, pid: 3779, status: "PAUSED" },
    ]);
    expect(parseTaskList("TASK    PID    STATUS    \n").size).toBe(0);
  });

  it("finds the v1 freezer hierarchy first (hybrid hosts freeze there), else the unified cgroup", () => {
    expect(freezerFilesOf(V1_PROC_CGROUP)).toEqual({ cgroupVersion: 1, state: `${V1_DIR}/freezer.state`, procs: `${V1_DIR}/cgroup.procs` });
    expect(freezerFilesOf(`0::${SCOPE}\n`)).toEqual({ cgroupVersion: 2, state: `/sys/fs/cgroup${SCOPE}/cgroup.events`, procs: `/sys/fs/cgroup${SCOPE}/cgroup.procs` });
    expect(freezerFilesOf("")).toBeUndefined();
  });

  it("reads the kernel's freezer state and the cgroup's processes (v1 FROZEN / FREEZING, v2 frozen 1 / 0)", () => {
    const v1 = freezerFilesOf(V1_PROC_CGROUP)!;
    expect(parseFreezerReading(v1, `${v1.state}:FROZEN\n${v1.procs}:12\n${v1.procs}:13\n`)).toEqual({ frozen: true, shown: "freezer.state FROZEN", pids: [12, 13] });
    expect(parseFreezerReading(v1, `${v1.state}:FREEZING\n`)).toEqual({ frozen: false, shown: "freezer.state FREEZING", pids: [] });
    const v2 = freezerFilesOf(`0::${SCOPE}\n`)!;
    expect(parseFreezerReading(v2, `${v2.state}:populated 1\n${v2.state}:frozen 1\n${v2.procs}:12\n`)).toEqual({ frozen: true, shown: "cgroup.events frozen 1", pids: [12] });
    expect(parseFreezerReading(v2, `${v2.state}:populated 1\n${v2.state}:frozen 0\n`)?.frozen).toBe(false);
    // The cgroup removed (the container exited): no reading at all.
    expect(parseFreezerReading(v2, "")).toBeUndefined();
  });

  it("reads /proc/<pid>/stat lines (comm with spaces and parentheses), leaving zombies out", () => {
    expect(parseProcStates("12 (node (worker) 1) D 1 12 12\n13 (sh) Z 12 12 12\n\n")).toEqual([{ pid: 12, state: "D" }]);
  });
});

describe("kind container freezer: through the node's containerd", () => {
  it("pauses the pod's container with ctr on its node and proves it from the task status and the cgroup freezer", async () => {
    const { runner, freezer, node } = fakeNode();
    const found = await freezer.freeze(REF);
    expect(found).toEqual({
      pod: REF,
      containerID: `containerd://${ID}`,
      processes: [
        { pid: 3779, state: "D" },
        { pid: 3790, state: "D" },
      ],
      frozen: true,
      freezer: "containerd task PAUSED, freezer.state FROZEN",
      thawByHand: `docker exec ${NODE} ctr -n k8s.io task resume ${ID}`,
    });
    expect(runner.lines()).toEqual([
      `kubectl get pod loader-1-a --namespace streamforge --ignore-not-found -o json`,
      `docker exec ${NODE} ctr -n k8s.io task ls`,
      `docker exec ${NODE} ctr -n k8s.io task pause ${ID}`,
      `docker exec ${NODE} ctr -n k8s.io task ls`,
      `docker exec ${NODE} cat /proc/3779/cgroup`,
      `docker exec ${NODE} grep -s -H "" ${V1_DIR}/freezer.state ${V1_DIR}/cgroup.procs`,
      `docker exec ${NODE} grep -s -h "" /proc/3779/stat /proc/3790/stat`,
    ]);
    // An already paused container is not paused twice (a retried inject).
    await freezer.freeze(REF);
    expect(node.pauses).toBe(1);
    // The cgroup's path is read once per container.
    expect(runner.lines().filter((line) => line.endsWith("/proc/3779/cgroup")).length).toBe(1);
  });

  it("resumes it, idempotently; inspect and listFrozen follow the node", async () => {
    const { runner, freezer } = fakeNode();
    await freezer.freeze(REF);
    expect((await freezer.listFrozen()).map((found) => [found.pod, found.containerID, found.frozen])).toEqual([[REF, `containerd://${ID}`, true]]);
    expect(await freezer.thaw(REF)).toBe("thawed");
    expect(runner.lines()).toContain(`docker exec ${NODE} ctr -n k8s.io task resume ${ID}`);
    expect(await freezer.inspect(REF)).toMatchObject({ frozen: false, freezer: "containerd task RUNNING, freezer.state THAWED", processes: [{ state: "S" }, { state: "S" }] });
    const resumes = () => runner.lines().filter((line) => line.includes("task resume")).length;
    expect(await freezer.thaw(REF)).toBe("thawed");
    expect(resumes()).toBe(1);
    expect(await freezer.listFrozen()).toEqual([]);
  });

  it("answers `gone` for a pod deleted, recreated under the same name (another UID), or whose container has no task", async () => {
    expect(await fakeNode([]).freezer.thaw(REF)).toBe("gone");
    expect(await fakeNode([]).freezer.inspect(REF)).toBeUndefined();
    const recreated = fakeNode([pod({ uid: "uid-2" })]);
    expect(await recreated.freezer.thaw(REF)).toBe("gone");
    expect(recreated.runner.lines().some((line) => line.startsWith("docker"))).toBe(false);
    const exited = fakeNode();
    exited.runner.on(`docker exec ${NODE} ctr -n k8s.io task ls`, { stdout: taskList("RUNNING", "f".repeat(64)) });
    expect(await exited.freezer.thaw(REF)).toBe("gone");
    expect(await exited.freezer.inspect(REF)).toBeUndefined();
    await expect(exited.freezer.freeze(REF)).rejects.toThrow(`pod streamforge/loader-1-a's container ${ID} has no running containerd task on kind node ${NODE} (no task)`);
    await expect(fakeNode([]).freezer.freeze(REF)).rejects.toThrow("pod streamforge/loader-1-a (uid uid-1) is gone");
  });

  it("refuses a pod without a running container, and a container of another runtime as unsupported", async () => {
    await expect(fakeNode([pod({ containerID: null })]).freezer.freeze(REF)).rejects.toThrow("pod streamforge/loader-1-a has no running container to pause (phase Running, node chaoslab-control-plane)");
    const docker = fakeNode([pod({ containerID: "docker://abc" })]).freezer.freeze(REF);
    await expect(docker).rejects.toBeInstanceOf(UnsupportedCapabilityError);
    await expect(docker).rejects.toThrow("container is docker://abc: only containerd's (containerd://) can be paused through the node");
  });

  it("says which command failed on which node, with containerd's answer and what to do", async () => {
    const { runner, freezer, node } = fakeNode();
    runner.on(`docker exec ${NODE} ctr -n k8s.io task pause`, { exitCode: 1, stderr: "ctr: failed to pause task: OCI runtime pause failed: unable to freeze: unknown" });
    const error = (await freezer.freeze(REF).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(
      `pause container ${ID} of pod streamforge/loader-1-a on kind node ${NODE} failed: \`docker exec ${NODE} ctr -n k8s.io task pause ${ID}\` exited with code 1:\n` +
        "ctr: failed to pause task: OCI runtime pause failed: unable to freeze: unknown\n" +
        `What to do: read containerd's answer above; \`docker exec ${NODE} ctr -n k8s.io task ls\` shows the container's task`,
    );
    // A resume refused while the task still exists fails the revert (the journal keeps it for cleanup) …
    node.status = "PAUSED";
    runner.on(`docker exec ${NODE} ctr -n k8s.io task resume`, { exitCode: 1, stderr: "ctr: OCI runtime resume failed" });
    await expect(freezer.thaw(REF)).rejects.toThrow(`resume container ${ID} of pod streamforge/loader-1-a on kind node ${NODE} failed`);
    // … one whose task the kubelet removed between the listing and the resume is `gone`.
    let listings = 0;
    runner.on(`docker exec ${NODE} ctr -n k8s.io task ls`, () => ({ stdout: taskList(listings++ === 0 ? "PAUSED" : "STOPPED") }));
    expect(await freezer.thaw(REF)).toBe("gone");
    expect(listings).toBe(2);
    runner.on(`docker exec ${NODE} ctr -n k8s.io task ls`, { exitCode: 1, stderr: `Error response from daemon: No such container: ${NODE}` });
    await expect(freezer.listFrozen()).rejects.toThrow(`list containerd tasks on kind node ${NODE} failed`);
    await expect(freezer.listFrozen()).rejects.toThrow(`What to do: check the node container runs (\`docker ps --filter name=${NODE}\`)`);
  });
});
