/**
 * One kind node as `docker exec <node> …` and kubectl answer for a paused or running pod container (unit
 * tests of KindContainerFreezer and the provider conformance): containerd's `ctr task ls|pause|resume`,
 * the container's /proc/<pid>/cgroup on a cgroup v1 host (this machine's kind), its freezer.state and
 * cgroup.procs, and its processes' /proc/<pid>/stat, which read D while frozen, as on the real node.
 */
import type { FakeCommandRunner } from "./fake-command-runner.ts";

export const FAKE_NODE = "chaoslab-control-plane";
export const FAKE_CONTAINER_ID = "fe4c9b71b6f15d31e4a17a41b4a6161a9f4f900b86b5d80569347f0960652933";
export const FAKE_SCOPE = `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod6191a3f8.slice/cri-containerd-${FAKE_CONTAINER_ID}.scope`;
export const FAKE_V1_FREEZER_DIR = `/sys/fs/cgroup/freezer${FAKE_SCOPE}`;
/** /proc/<pid>/cgroup of the container: the v1 hierarchies, the freezer among them, and the unified line. */
export const FAKE_V1_PROC_CGROUP = `9:name=systemd:${FAKE_SCOPE}\n6:freezer:${FAKE_SCOPE}\n4:memory:${FAKE_SCOPE}\n0::${FAKE_SCOPE}\n`;

/** What `ctr task ls` prints on a kind node (ctr 1.6: a header, then id, pid, status, space-padded). */
export const fakeTaskList = (status: string, id = FAKE_CONTAINER_ID) =>
  `TASK                                                                PID     STATUS    \n` +
  `9e820aa8bce0ce492920a14ce0cf64cde565ecf50675948e919f83158eedc88e    393     RUNNING\n${id}    3779    ${status}\n`;

export interface FakePodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** The pod as `kubectl get pod -o json` shows it: its one container running as FAKE_CONTAINER_ID on FAKE_NODE. */
export function fakeKindPod(identity: FakePodIdentity, overrides: { containerID?: string | null } = {}) {
  const containerID = overrides.containerID === null ? undefined : (overrides.containerID ?? `containerd://${FAKE_CONTAINER_ID}`);
  return {
    metadata: { namespace: identity.namespace, name: identity.name, uid: identity.uid },
    spec: { nodeName: FAKE_NODE, containers: [{ name: "loader", image: "chaoslab/loader:dev" }] },
    status: { phase: "Running", containerStatuses: [{ name: "loader", containerID }] },
  };
}

/** Adds the node's answers to `runner`; the returned state says whether containerd holds the task paused. */
export function scriptKindNode(runner: FakeCommandRunner, pods: ReturnType<typeof fakeKindPod>[]) {
  const node = { status: "RUNNING", pauses: 0 };
  const dir = FAKE_V1_FREEZER_DIR;
  runner
    .on(/^kubectl get pod /, (spec) => {
      const [name, , namespace] = spec.args.slice(spec.args.indexOf("pod") + 1);
      const found = pods.find((candidate) => candidate.metadata.name === name && candidate.metadata.namespace === namespace);
      return { stdout: found ? JSON.stringify(found) : "" };
    })
    .on(/^kubectl get pods --all-namespaces/, () => ({ stdout: JSON.stringify({ items: pods }) }))
    .on(`docker exec ${FAKE_NODE} ctr -n k8s.io task ls`, () => ({ stdout: fakeTaskList(node.status) }))
    .on(`docker exec ${FAKE_NODE} ctr -n k8s.io task pause ${FAKE_CONTAINER_ID}`, () => {
      node.status = "PAUSED";
      node.pauses++;
      return {};
    })
    .on(`docker exec ${FAKE_NODE} ctr -n k8s.io task resume ${FAKE_CONTAINER_ID}`, () => {
      node.status = "RUNNING";
      return {};
    })
    .on(`docker exec ${FAKE_NODE} cat /proc/3779/cgroup`, { stdout: FAKE_V1_PROC_CGROUP })
    .on(`docker exec ${FAKE_NODE} grep -s -H "" ${dir}/freezer.state`, () => ({
      stdout: `${dir}/freezer.state:${node.status === "PAUSED" ? "FROZEN" : "THAWED"}\n${dir}/cgroup.procs:3779\n${dir}/cgroup.procs:3790\n`,
    }))
    .on(`docker exec ${FAKE_NODE} grep -s -h "" /proc/3779/stat /proc/3790/stat`, () => {
      const state = node.status === "PAUSED" ? "D" : "S";
      return { stdout: `3779 (node) ${state} 3700 3779 3779 0 -1\n3790 (node worker) ${state} 3779 3779 3779 0 -1\n` };
    });
  return node;
}
