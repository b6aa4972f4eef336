/**
 * The process runtime's record of one pod's process, and the pod status it reports for it (what the
 * kubelet would write): conditions, the Running container status, and the pod IPs it hands out.
 */
import type { ChildProcess } from "node:child_process";
import type * as k8s from "@kubernetes/client-node";
import { LOOPBACK, POD_IP_PREFIX } from "../layout.ts";
import type { LabImage } from "../../images.ts";

/**
 * A pod's `node` arguments and environment, as its image would start it: the image's node flags first
 * (as its ENTRYPOINT has them), then how the entry runs here (a bundle, or tsx), then the container's
 * args; the image's ENV under the pod's own env, which wins (as over an image's ENV on a node).
 */
export function podLaunch(
  image: Pick<LabImage, "runtime">,
  entryArgs: readonly string[],
  containerArgs: readonly string[],
  runtimeEnv: NodeJS.ProcessEnv,
  podEnv: Readonly<Record<string, string>>,
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [...(image.runtime?.nodeFlags ?? []), ...entryArgs, ...containerArgs],
    env: { ...runtimeEnv, ...image.runtime?.env, ...podEnv },
  };
}

export interface PodProcess {
  uid: string;
  namespace: string;
  name: string;
  podIP: string;
  child?: ChildProcess;
  pid?: number;
  startedAt?: string;
  restartCount: number;
  /** Exit of the current process, once it exited. */
  exit?: { code: number; finishedAt: string; reason: string };
  terminating: boolean;
  /** Set once the final state was written (and, when deleting, the pod removed). */
  finished: boolean;
  ready: boolean;
  readinessTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
  dir: string;
}

/** Loopback pod IPs in order, so replicas can bind the same container port. */
export function podIpAllocator(): () => string {
  let nextIp = 1;
  return () => {
    // 127.10.0.1 … 127.10.255.254: 65k pods per lab lifetime is far beyond any scenario.
    const n = nextIp++;
    return `${POD_IP_PREFIX}.${(n >> 8) & 255}.${n & 255}`;
  };
}

export function condition(type: string, status: boolean, reason?: string): k8s.V1PodCondition {
  return { type, status: status ? "True" : "False", lastTransitionTime: new Date(), ...(reason ? { reason } : {}) };
}

export function containerName(pod: k8s.V1Pod) {
  return pod.spec!.containers[0]!.name;
}

export function runningStatus(pod: k8s.V1Pod, entry: PodProcess): k8s.V1PodStatus {
  const container = pod.spec!.containers[0]!;
  return {
    phase: "Running",
    hostIP: LOOPBACK,
    hostIPs: [{ ip: LOOPBACK }],
    podIP: entry.podIP,
    podIPs: [{ ip: entry.podIP }],
    startTime: pod.status?.startTime ?? new Date(),
    conditions: [
      condition("PodScheduled", true),
      condition("Initialized", true),
      condition("ContainersReady", entry.ready),
      condition("Ready", entry.ready),
    ],
    containerStatuses: [
      {
        name: container.name,
        image: container.image!,
        imageID: `chaoslab-process://${container.image}`,
        containerID: `process://${entry.pid}`,
        ready: entry.ready,
        started: true,
        restartCount: entry.restartCount,
        state: { running: { startedAt: new Date(entry.startedAt!) } },
      },
    ],
  };
}
