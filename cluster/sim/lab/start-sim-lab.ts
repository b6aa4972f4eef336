/**
 * `lab up` for the sim: builds what is missing, then starts the control plane (etcd, kube-apiserver,
 * controller-manager, scheduler, kwok), Toxiproxy, the Kafka nodes, Argo Rollouts and the lab's own
 * daemons as supervised processes, bootstraps Kubernetes, waits for each to be healthy and writes
 * lab.json. A failed start stops what it started.
 */
import fs from "node:fs/promises";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { labEntryBundles } from "../process-runtime/entry-bundles.ts";
import { REPO_ROOT } from "../../images.ts";
import type { LabDescription, UpOptions } from "../../provider.ts";
import { loadKubeConfig } from "../../kube/apply.ts";
import { allLabPorts, KAFKA_LANES, KAFKA_NODE_IDS, LOOPBACK, NAMESPACES, PORTS, stateDir, statePaths } from "../layout.ts";
import { ensurePki, writeKubeconfig } from "../pki.ts";
import { builtComponentDirs, provision } from "../../build/provision.ts";
import { Supervisor, waitUntil, type ProcessSpec } from "../supervisor.ts";
import { canConnect, loopbackPortsInUse } from "../../network/tcp-probe.ts";
import { argoRolloutsSpec, type ControlPlaneInputs } from "../control-plane.ts";
import { writeKwokConfig } from "../kwok-config.ts";
import { bootstrapDirect, bootstrapWorkloads, kafkaNodeName, kafkaNodeSpec, prepareKafka, type KafkaLayout } from "../kafka-nodes.ts";
import { ToxiproxyApi } from "../../network/toxiproxy-api.ts";
import { LAB_TOPICS } from "../../topics.ts";
import { ensureLabTopics } from "../../kafka/lab-topics.ts";
import { kafkaProxyName } from "./components.ts";
import { elapsed, httpOk } from "./http-probes.ts";
import { bootstrapKubernetes, waitForNodesReady } from "./kubernetes-bootstrap.ts";
import { attachSimLab, SimLab } from "./sim-lab.ts";
import { stopSimLab } from "./stop-sim-lab.ts";
import { withLowSessionWeight } from "./session-cpu-weight.ts";
import { ControlPlaneStart } from "./control-plane-start.ts";

export async function startSimLab(options: UpOptions = {}): Promise<SimLab> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = stateDir();
  const existing = await attachSimLab(root);
  if (existing) {
    log(`[lab] the sim lab is already up (state: ${root}); nothing to do`);
    return existing;
  }
  const busy = await loopbackPortsInUse(allLabPorts());
  if (busy.length > 0) {
    throw new Error(
      `cannot start the sim lab: ports already in use on 127.0.0.1: ${busy.join(", ")}.\n` +
        `If a previous lab is still running, stop it with \`make lab-down\`; otherwise find the owner with \`ss -ltnp | grep -E ':(${busy.join("|")})'\`.`,
    );
  }
  const started = Date.now();
  await provision({ log });
  const dirs = await builtComponentDirs();
  const paths = statePaths(root);
  await fs.mkdir(root, { recursive: true });
  const supervisor = new Supervisor(paths.pids, paths.logs);
  let controlPlane: ControlPlaneStart | undefined;
  try {
    const pki = await ensurePki(paths.pki);
    const apiServer = await writeKubeconfig(pki, paths.kubeconfig);
    await writeKwokConfig(dirs.kwok!, paths.kwokConfig);
    const inputs: ControlPlaneInputs = {
      kubeDir: dirs.kube!,
      kwokDir: dirs.kwok!,
      pki,
      kubeconfig: paths.kubeconfig,
      etcdDataDir: paths.etcdData,
      kwokConfig: paths.kwokConfig,
    };
    const kafkaLayout: KafkaLayout = { libsDir: path.join(dirs.kafka!, "libs"), root: paths.kafka };
    const daemons = labDaemonSpecs(root, paths.kubeconfig);
    log("[lab] starting etcd, the control plane and Toxiproxy; formatting Kafka storage");
    const kafkaPrepared = settleLater(prepareKafka(kafkaLayout, log));
    // The control plane first: everything on the lab waits for the API server (control-plane-start.ts).
    controlPlane = new ControlPlaneStart(supervisor, inputs);
    await controlPlane.spawn();
    await supervisor.start({
      name: "toxiproxy",
      command: path.join(dirs.toxiproxy!, "toxiproxy-server"),
      args: ["-host", LOOPBACK, "-port", String(PORTS.toxiproxyApi)],
    });
    // The JVMs take the longest to warm up: they start now, beside the control plane, but in sessions
    // that weigh least until the API server is ready (or Kafka listens), so the control plane is not
    // slowed by them (session-cpu-weight.ts). From then on Kafka is the longest path to a lab that is up,
    // and competes at equal weight with Argo's, the daemons' and Kubernetes' bootstrap.
    await kafkaPrepared;
    const kafkaPids: number[] = [];
    for (const nodeId of KAFKA_NODE_IDS) kafkaPids.push((await supervisor.start(kafkaNodeSpec(kafkaLayout, nodeId))).pid);
    log(`[lab] Kafka nodes ${KAFKA_NODE_IDS.join(", ")} starting (${elapsed(started)})`);
    // Awaited below (handled now, so a failure is not unhandled meanwhile); Kafka and Toxiproxy do not wait for it.
    const apiServerReady = settleLater(controlPlane.apiServerReady(log, () => elapsed(started)));
    const kafkaReady = settleLater(withLowSessionWeight(kafkaPids, () => waitForKafka(supervisor, log, started), log, undefined, apiServerReady));
    const toxiproxyReady = settleLater(startToxiproxyProxies(supervisor, log, started));
    const apiServerReadyAt = await apiServerReady;
    log(`[lab] kube-apiserver ready at ${apiServer} (${elapsed(started)})`);
    // What `kwokctl create cluster --wait` waits for (pkg/kwokctl/runtime/binary/cluster_status.go): every
    // component process running and the API server healthy (here /readyz, which is stricter than /healthz).
    options.milestones?.("apiServer", (apiServerReadyAt - started) / 1000);
    await supervisor.start(argoRolloutsSpec(inputs));
    for (const spec of await daemons) await supervisor.start(spec);
    const kubeConfig = loadKubeConfig(paths.kubeconfig);
    await Promise.all([
      bootstrapKubernetes(kubeConfig, dirs.kube!, log, started),
      toxiproxyReady,
      kafkaReady,
      (async () => {
        const seconds = ((await controlPlane.healthy()) - started) / 1000;
        options.milestones?.("controlPlane", seconds);
        // The moment the last of them was ready (first-healthy.ts), not when this line could be written.
        log(`[lab] control plane ready: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (${seconds.toFixed(1)} s)`);
      })(),
    ]);
    await Promise.all([
      waitUntil(supervisor, "argo-rollouts", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.argoHealthz}/healthz`), 60_000),
      waitUntil(supervisor, "process-runtime", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.processRuntimeHealth}/healthz`), 60_000),
      waitUntil(supervisor, "service-proxy", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.serviceProxyHealth}/healthz`), 60_000),
      waitForNodesReady(kubeConfig, supervisor),
    ]);
    const description: LabDescription = {
      provider: "sim",
      stateDir: root,
      kubeconfig: paths.kubeconfig,
      apiServer,
      kafka: { bootstrapDirect: bootstrapDirect(), bootstrapWorkloads: bootstrapWorkloads(), nodeIds: [...KAFKA_NODE_IDS], brokers: { kind: "processes" } },
      toxiproxy: { api: `http://${LOOPBACK}:${PORTS.toxiproxyApi}` },
      namespaces: [...NAMESPACES],
      features: { argoRollouts: true },
      versions: { ...Object.fromEntries(Object.entries(versions).filter(([key]) => !key.startsWith("$"))), kafkaOperator: "none (KRaft processes of the sim)" },
      startedAt: new Date(started).toISOString(),
    };
    await fs.writeFile(paths.labJson, JSON.stringify(description, null, 2));
    log(`[lab] the sim lab is up in ${elapsed(started)}; kubeconfig: ${paths.kubeconfig}`);
    return new SimLab(description);
  } catch (error) {
    controlPlane?.stopWatching();
    log(`[lab] start failed; stopping what was started (logs are kept in ${paths.logs})`);
    await stopSimLab(root, { keepData: true, log: () => {} });
    throw error;
  }
}

/** The promise, with its rejection marked handled until it is awaited (where it still throws). */
function settleLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function startToxiproxyProxies(supervisor: Supervisor, log: (line: string) => void, started: number) {
  const toxiproxy = new ToxiproxyApi(`http://${LOOPBACK}:${PORTS.toxiproxyApi}`);
  await waitUntil(supervisor, "toxiproxy", "answering", () => toxiproxy.version().then(() => true), 20_000);
  for (const lane of [0, ...KAFKA_LANES]) {
    for (const nodeId of KAFKA_NODE_IDS) {
      await toxiproxy.ensureProxy(kafkaProxyName(nodeId, lane), `${LOOPBACK}:${PORTS.kafkaAppsProxy(nodeId, lane)}`, `${LOOPBACK}:${PORTS.kafkaApps(nodeId, lane)}`);
    }
  }
  log(`[lab] Toxiproxy proxies in front of the workloads' Kafka listeners, shared and ${KAFKA_LANES.length} lanes (${elapsed(started)})`);
}

async function waitForKafka(supervisor: Supervisor, log: (line: string) => void, started: number) {
  for (const nodeId of KAFKA_NODE_IDS) {
    await waitUntil(supervisor, kafkaNodeName(nodeId), "listening", () => canConnect(LOOPBACK, PORTS.kafkaDirect(nodeId), 500), 90_000);
  }
  await ensureLabTopics(bootstrapDirect(), { expectBrokers: KAFKA_NODE_IDS.length, where: ".chaoslab/sim/logs/kafka-*.log" });
  log(`[lab] Kafka: ${KAFKA_NODE_IDS.length} brokers, topics ${LAB_TOPICS.map((topic) => topic.topic).join(", ")} (${elapsed(started)})`);
}

/**
 * The lab's own TypeScript daemons: the process runtime (a kubelet for lab images) and the service
 * proxy, through which host processes (k6, Argo's analysis, the harness) reach opted-in Services. They
 * run as compiled JavaScript, bundled once and reused while current (bundled while etcd and the API
 * server start): tsx cost each start about a second of CPU, taken from the API server and the JVMs
 * starting beside them on 2 cores. A bundle that cannot be built falls back to tsx.
 */
function labDaemonSpecs(root: string, kubeconfig: string): Promise<ProcessSpec[]> {
  const bundles = labEntryBundles();
  return Promise.all(
    ["process-runtime", "service-proxy"].map(async (name) => ({
      name,
      command: process.execPath,
      args: (await bundles.command(`cluster/sim/${name}/main.ts`)).nodeArgs,
      cwd: REPO_ROOT,
      env: { ...process.env, CHAOSLAB_STATE_DIR: root, KUBECONFIG: kubeconfig },
    })),
  );
}
