/**
 * The sim's process runtime: a minimal kubelet for pods of the lab's own images (cluster/images.ts).
 * It follows pods through the API server and, for each pod bound to a node whose image is a lab image:
 *  - starts `node <entry bundled to JS> [args]` (entry-bundles.ts) in its own process group, with the env resolved from the
 *    pod spec, its own loopback pod IP (127.10.x.y), a kubeconfig holding a pod-bound ServiceAccount
 *    token (so the pod has exactly its RBAC, as in a cluster), and its log under <state>/pods/;
 *  - reports Running / Ready (httpGet readiness probes are polled) and, when the process exits, the real
 *    exit code: Succeeded/Failed for restartPolicy Never/OnFailure (so Job semantics are real), a restart
 *    with back-off for Always;
 *  - on graceful deletion sends SIGTERM, SIGKILL after the grace period, reports the terminated state,
 *    then removes the pod (grace 0), as the kubelet does.
 * Pods of other images are left to kwok's stages.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { spawn } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { findLabImage, REPO_ROOT } from "../../images.ts";
import { LOOPBACK, PORTS, POD_IP_PREFIX, stateDir, statePaths } from "../layout.ts";
import { apiErrorCode, apiErrorMessage } from "../../kube/apply.ts";
import { EnvResolutionError, resolveContainerEnv } from "./pod-env.ts";
import { condition, containerName, podIpAllocator, podLaunch, type PodProcess, runningStatus } from "./pod-process.ts";
import { apiObjectReader, writePodKubeconfig } from "./pod-credentials.ts";
import { signalGroup } from "../supervisor.ts";
import { labEntryBundles } from "./entry-bundles.ts";

const kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) throw new Error("process-runtime: KUBECONFIG must point at the lab's admin kubeconfig");
const config = new k8s.KubeConfig();
config.loadFromFile(kubeconfigPath);
const core = config.makeApiClient(k8s.CoreV1Api);
const podsDir = statePaths(stateDir()).pods;
const bundles = labEntryBundles();
const strategicMerge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);

function log(message: string, fields: Record<string, unknown> = {}) {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg: message, ...fields })}\n`);
}

const processes = new Map<string, PodProcess>();
const allocatePodIP = podIpAllocator();

/** One operation per pod at a time: events for a pod arrive faster than its status writes finish. */
const queues = new Map<string, Promise<void>>();
function serialize(uid: string, work: () => Promise<void>) {
  const previous = queues.get(uid) ?? Promise.resolve();
  const next = previous.then(work).catch((error) => log("pod operation failed", { uid, error: apiErrorMessage(error) }));
  queues.set(uid, next);
  void next.finally(() => {
    if (queues.get(uid) === next) queues.delete(uid);
  });
}

const reader = apiObjectReader(core);

async function patchStatus(entry: PodProcess, status: k8s.V1PodStatus) {
  try {
    await core.patchNamespacedPodStatus({ name: entry.name, namespace: entry.namespace, body: { status } }, strategicMerge);
  } catch (error) {
    // The pod may be gone already (force-deleted); nothing left to report to.
    if (apiErrorCode(error) !== 404) throw error;
  }
}

async function startPod(pod: k8s.V1Pod) {
  const uid = pod.metadata!.uid!;
  const container = pod.spec!.containers[0]!;
  const image = findLabImage(container.image ?? "")!;
  const podIP = pod.status?.podIP?.startsWith(`${POD_IP_PREFIX}.`) ? pod.status.podIP : allocatePodIP();
  const dir = path.join(podsDir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${uid}`);
  await fsp.mkdir(dir, { recursive: true });
  const entry: PodProcess = {
    uid,
    namespace: pod.metadata!.namespace!,
    name: pod.metadata!.name!,
    podIP,
    restartCount: 0,
    terminating: false,
    finished: false,
    ready: false,
    dir,
  };
  processes.set(uid, entry);
  let env: Record<string, string>;
  let kubeconfig: string;
  try {
    env = await resolveContainerEnv(pod, container, podIP, reader);
    kubeconfig = await writePodKubeconfig(core, config, pod, dir);
  } catch (error) {
    const message = error instanceof EnvResolutionError ? error.message : apiErrorMessage(error);
    log("cannot start pod", { pod: `${entry.namespace}/${entry.name}`, error: message });
    // The kubelet keeps such a pod Pending with CreateContainerConfigError; so do we, and retry later.
    processes.delete(uid);
    await patchStatus(entry, {
      containerStatuses: [{ name: container.name, image: container.image!, imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "CreateContainerConfigError", message } } }],
    });
    setTimeout(() => serialize(uid, () => reconcileByName(entry.namespace, entry.name)), 2_000).unref();
    return;
  }
  const program = await bundles.command(image.entry);
  const launchWith = podLaunch(
    image,
    program.nodeArgs,
    container.args ?? [],
    { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, NODE_ENV: process.env.NODE_ENV, HOSTNAME: entry.name, POD_IP: podIP, IMAGE_TAG: image.tag, KUBECONFIG: kubeconfig },
    env,
  );
  const launch = () => {
    const out = fs.openSync(path.join(dir, `${container.name}.log`), "a");
    const child = spawn(process.execPath, launchWith.args, {
      cwd: REPO_ROOT,
      env: launchWith.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    entry.child = child;
    entry.pid = child.pid;
    entry.startedAt = new Date().toISOString();
    entry.exit = undefined;
    if (child.pid) fs.writeFileSync(path.join(dir, "pid"), String(child.pid));
    child.once("exit", (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 }) as Record<string, number>)[signal] ?? 1 : 1);
      entry.exit = { code: exitCode, finishedAt: new Date().toISOString(), reason: exitCode === 0 ? "Completed" : signal === "SIGKILL" ? "Killed" : "Error" };
      fs.rmSync(path.join(dir, "pid"), { force: true });
      log("process exited", { pod: `${entry.namespace}/${entry.name}`, exitCode, signal });
      serialize(uid, () => onExit(entry));
    });
    log("process started", { pod: `${entry.namespace}/${entry.name}`, pid: child.pid, podIP, entry: image.entry, as: program.how });
  };
  launch();
  (entry as PodProcess & { relaunch: () => void }).relaunch = launch;
  const hasReadinessProbe = Boolean(container.readinessProbe?.httpGet);
  entry.ready = !hasReadinessProbe;
  await patchStatus(entry, runningStatus(pod, entry));
  if (hasReadinessProbe) startReadinessProbe(pod, entry);
}

function startReadinessProbe(pod: k8s.V1Pod, entry: PodProcess) {
  const probe = pod.spec!.containers[0]!.readinessProbe!;
  const httpGet = probe.httpGet!;
  const port = typeof httpGet.port === "number" ? httpGet.port : Number(pod.spec!.containers[0]!.ports?.find((candidate) => candidate.name === httpGet.port)?.containerPort);
  // Probe at least every second: the lab's scenarios measure recovery in seconds, and periodSeconds
  // defaults to 10.
  const periodMs = Math.min((probe.periodSeconds ?? 10) * 1000, 1_000);
  const initialDelayMs = (probe.initialDelaySeconds ?? 0) * 1000;
  const check = () => {
    if (entry.terminating || entry.exit) return;
    const request = http.get({ host: entry.podIP, port, path: httpGet.path ?? "/", timeout: 1_000 }, (response) => {
      response.resume();
      setReady(pod, entry, (response.statusCode ?? 500) >= 200 && (response.statusCode ?? 500) < 400);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => setReady(pod, entry, false));
  };
  entry.readinessTimer = setInterval(check, periodMs);
  setTimeout(check, initialDelayMs).unref();
}

function setReady(pod: k8s.V1Pod, entry: PodProcess, ready: boolean) {
  if (entry.ready === ready || entry.terminating || entry.exit) return;
  entry.ready = ready;
  serialize(entry.uid, () => patchStatus(entry, runningStatus(pod, entry)));
}

const latestPods = new Map<string, k8s.V1Pod>();

/** A container that is not running (waiting to restart, or terminated for good), as the kubelet reports it. */
function stoppedContainerStatus(container: k8s.V1Container, entry: PodProcess, states: Pick<k8s.V1ContainerStatus, "state" | "lastState">): k8s.V1ContainerStatus {
  return { name: container.name, image: container.image!, imageID: `chaoslab-process://${container.image}`, ready: false, restartCount: entry.restartCount, ...states };
}

async function onExit(entry: PodProcess) {
  const pod = latestPods.get(entry.uid);
  if (entry.readinessTimer) clearInterval(entry.readinessTimer);
  entry.ready = false;
  if (!pod) return;
  const container = pod.spec!.containers[0]!;
  const restartPolicy = pod.spec!.restartPolicy ?? "Always";
  const shouldRestart = !entry.terminating && (restartPolicy === "Always" || (restartPolicy === "OnFailure" && entry.exit!.code !== 0));
  const terminated: k8s.V1ContainerStateTerminated = {
    exitCode: entry.exit!.code,
    reason: entry.exit!.reason,
    startedAt: new Date(entry.startedAt!),
    finishedAt: new Date(entry.exit!.finishedAt),
  };
  if (shouldRestart) {
    // CrashLoopBackOff: 1 s, 2 s, 4 s … capped at 30 s (the kubelet's 10 s … 5 min, scaled to a lab).
    const delayMs = Math.min(1_000 * 2 ** entry.restartCount, 30_000);
    await patchStatus(entry, {
      conditions: [condition("ContainersReady", false), condition("Ready", false)],
      containerStatuses: [stoppedContainerStatus(container, entry, { lastState: { terminated }, state: { waiting: { reason: "CrashLoopBackOff", message: `back-off ${delayMs / 1000}s restarting failed container` } } })],
    });
    entry.restartTimer = setTimeout(() => {
      serialize(entry.uid, async () => {
        const current = latestPods.get(entry.uid);
        if (!current || entry.terminating) return;
        entry.restartCount += 1;
        (entry as PodProcess & { relaunch: () => void }).relaunch();
        entry.ready = !current.spec!.containers[0]!.readinessProbe?.httpGet;
        await patchStatus(entry, runningStatus(current, entry));
        if (!entry.ready) startReadinessProbe(current, entry);
      });
    }, delayMs);
    return;
  }
  await patchStatus(entry, {
    phase: entry.exit!.code === 0 && !entry.terminating ? "Succeeded" : "Failed",
    conditions: [condition("ContainersReady", false), condition("Ready", false)],
    containerStatuses: [stoppedContainerStatus(container, entry, { state: { terminated } })],
  });
  if (entry.terminating) await removePod(entry);
  entry.finished = true;
}

async function removePod(entry: PodProcess) {
  try {
    await core.deleteNamespacedPod({
      name: entry.name,
      namespace: entry.namespace,
      gracePeriodSeconds: 0,
      body: { gracePeriodSeconds: 0, preconditions: { uid: entry.uid } },
    });
  } catch (error) {
    const code = apiErrorCode(error);
    if (code !== 404 && code !== 409) throw error;
  }
}

function terminate(entry: PodProcess, gracePeriodSeconds: number) {
  entry.terminating = true;
  if (entry.restartTimer) clearTimeout(entry.restartTimer);
  if (entry.readinessTimer) clearInterval(entry.readinessTimer);
  const pid = entry.pid;
  if (!pid || entry.exit) return false;
  signalGroup(pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (!entry.exit) signalGroup(pid, "SIGKILL");
  }, gracePeriodSeconds * 1000);
  timer.unref();
  return true;
}

async function reconcileByName(namespace: string, name: string) {
  try {
    const pod = await core.readNamespacedPod({ namespace, name });
    latestPods.set(pod.metadata!.uid!, pod);
    await reconcile(pod);
  } catch (error) {
    if (apiErrorCode(error) !== 404) throw error;
  }
}

/**
 * The kubelet's status manager: the API must show what the runtime knows. Others write pod status too —
 * the node lifecycle controller marks every pod of a node NotReady when the node's heartbeat is late
 * (kwok's heartbeats lag on a loaded 2-core machine) — and a kubelet re-asserts the truth once it
 * reports again. Without this a pod stays NotReady forever and drops out of its Service.
 */
async function reassertStatus(pod: k8s.V1Pod, entry: PodProcess) {
  if (entry.terminating || entry.exit || !entry.startedAt) return;
  const shownReady = pod.status?.conditions?.find((candidate) => candidate.type === "Ready")?.status === "True";
  if (pod.status?.phase === "Running" && shownReady === entry.ready && pod.status?.podIP === entry.podIP) return;
  log("re-asserting pod status", { pod: `${entry.namespace}/${entry.name}`, shownPhase: pod.status?.phase, shownReady, ready: entry.ready });
  await patchStatus(entry, runningStatus(pod, entry));
}

function isLabPod(pod: k8s.V1Pod): boolean {
  const image = pod.spec?.containers?.[0]?.image;
  return Boolean(pod.spec?.nodeName && image && findLabImage(image));
}

async function reconcile(pod: k8s.V1Pod) {
  const uid = pod.metadata!.uid!;
  const entry = processes.get(uid);
  if (pod.metadata?.deletionTimestamp) {
    if (!entry) {
      // Never started (or started by a previous runtime): nothing to stop, let the deletion finish.
      await removePod({ uid, name: pod.metadata.name!, namespace: pod.metadata.namespace! } as PodProcess);
      return;
    }
    if (entry.terminating) return;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    log("terminating pod", { pod: `${entry.namespace}/${entry.name}`, gracePeriodSeconds: grace });
    const running = terminate(entry, grace);
    if (!running) await removePod(entry);
    return;
  }
  if (entry) {
    // Someone else wrote our pod's readiness (the node lifecycle controller marks pods NotReady when
    // their node misses heartbeats): restore what our probe says, as the kubelet's status manager does.
    const apiReady = pod.status?.conditions?.find((candidate) => candidate.type === "Ready")?.status === "True";
    if (!entry.terminating && !entry.exit && entry.startedAt && pod.status?.phase === "Running" && apiReady !== entry.ready) {
      log("restoring readiness written by someone else", { pod: `${entry.namespace}/${entry.name}`, ready: entry.ready });
      await patchStatus(entry, runningStatus(pod, entry));
    }
    return;
  }
  const phase = pod.status?.phase ?? "Pending";
  if (phase === "Pending") {
    await startPod(pod);
  } else if (phase === "Running") {
    // Running in the API but no process here: the runtime restarted and lost its child. Say so
    // truthfully rather than pretend: the pod failed, and its controller replaces it.
    const container = pod.spec!.containers[0]!;
    await patchStatus({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace! } as PodProcess, {
      phase: "Failed",
      reason: "ProcessRuntimeRestarted",
      message: "the sim's process runtime restarted and no longer tracks this pod's process",
      conditions: [condition("Ready", false), condition("ContainersReady", false)],
      containerStatuses: [{ name: containerName(pod), image: container.image!, imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: "Unknown" } } }],
    });
  }
}

function onPodEvent(pod: k8s.V1Pod) {
  if (!isLabPod(pod)) return;
  const uid = pod.metadata!.uid!;
  latestPods.set(uid, pod);
  serialize(uid, () => reconcile(latestPods.get(uid) ?? pod));
}

function onPodDeleted(pod: k8s.V1Pod) {
  const uid = pod.metadata?.uid;
  if (!uid) return;
  latestPods.delete(uid);
  const entry = processes.get(uid);
  if (!entry) return;
  // Force-deleted (grace 0) or finished: make sure nothing keeps running for a pod that is gone.
  if (!entry.exit && entry.pid) signalGroup(entry.pid, "SIGKILL");
  if (entry.readinessTimer) clearInterval(entry.readinessTimer);
  if (entry.restartTimer) clearTimeout(entry.restartTimer);
  processes.delete(uid);
}

/** @kubernetes/client-node's informer stops on non-410 errors; restart it with back-off. */
function startInformer() {
  const informer = k8s.makeInformer(config, "/api/v1/pods", () => core.listPodForAllNamespaces());
  informer.on("add", onPodEvent);
  informer.on("update", onPodEvent);
  informer.on("delete", onPodDeleted);
  let failures = 0;
  informer.on("error", (error: unknown) => {
    failures += 1;
    const delayMs = Math.min(500 * 2 ** failures, 10_000);
    log("pod informer error; restarting", { error: apiErrorMessage(error), delayMs });
    setTimeout(() => informer.start().then(() => (failures = 0), () => {}), delayMs);
  });
  informer.on("connect", () => (failures = 0));
  return informer.start();
}

let shuttingDown = false;
async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  log("stopping all pod processes");
  const running = [...processes.values()].filter((entry) => entry.pid && !entry.exit);
  for (const entry of running) signalGroup(entry.pid!, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (running.some((entry) => !entry.exit) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const entry of running) if (!entry.exit) signalGroup(entry.pid!, "SIGKILL");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());

const health = http.createServer((request, response) => {
  response.writeHead(request.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
  response.end(JSON.stringify({ pods: processes.size }));
});
health.listen(PORTS.processRuntimeHealth, LOOPBACK);
await startInformer();
log("process runtime watching pods", { images: "cluster/images.ts" });
