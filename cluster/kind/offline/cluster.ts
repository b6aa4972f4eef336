/**
 * Creates and deletes the air-gapped kind cluster from what build.ts recorded in kind-offline.json:
 *
 *   node --import tsx cluster/kind/offline/cluster.ts create   # one node, Ready; prints create → Ready
 *   node --import tsx cluster/kind/offline/cluster.ts smoke    # CoreDNS, kube-proxy, a `kind load`ed image resolving a Service
 *   node --import tsx cluster/kind/offline/cluster.ts load     # every lab image build.ts made, with `kind load docker-image`
 *   node --import tsx cluster/kind/offline/cluster.ts kafka    # the offline Kafka image as a 3-node KRaft StatefulSet
 *   node --import tsx cluster/kind/offline/cluster.ts delete   # and checks no container/network/volume is left
 *
 * The kind provider will call the same functions once its refactor lands (cluster/providers/kind.ts).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { KIND_CLUSTER_NAME, kindStateDir } from "../config.ts";
import { type OfflineKindBuild, offlineManifestPath } from "./build.ts";
import { KIND_POD_SUBNET } from "./node-image.ts";
import { renderOfflineKindConfig } from "./node-config.ts";
import { type Log, OfflineBuildError, dockerImageExists, must, sh } from "./steps.ts";

const CREATE_TIMEOUT_MS = 10 * 60_000;

export async function readOfflineBuild(): Promise<OfflineKindBuild> {
  const file = offlineManifestPath();
  let build: OfflineKindBuild;
  try {
    build = JSON.parse(await fs.readFile(file, "utf8")) as OfflineKindBuild;
  } catch {
    throw new OfflineBuildError(`reading ${file}`, "", "build the air-gapped kind lab first: node bin/chaoslab.mjs lab setup --provider kind --offline");
  }
  if (!(await dockerImageExists(build.nodeImage))) {
    throw new OfflineBuildError(`node image ${build.nodeImage} (named in ${file})`, "not in the Docker engine", "build it again: node bin/chaoslab.mjs lab setup --provider kind --offline");
  }
  return build;
}

export function offlineStatePaths(stateDir = kindStateDir()) {
  return { kubeconfig: path.join(stateDir, "kubeconfig"), kindConfig: path.join(stateDir, "kind-offline-config.yaml") };
}

export async function createOfflineCluster(log: Log): Promise<{ seconds: number; kubeconfig: string }> {
  const build = await readOfflineBuild();
  const paths = offlineStatePaths();
  await fs.mkdir(path.dirname(paths.kubeconfig), { recursive: true });
  await fs.writeFile(
    paths.kindConfig,
    renderOfflineKindConfig({ clusterName: KIND_CLUSTER_NAME, nodeImage: build.nodeImage, podSubnet: KIND_POD_SUBNET, etcdImageTag: build.etcdImageTag }),
  );
  log(`[kind-offline] ▶ kind create cluster ${KIND_CLUSTER_NAME} (${build.nodeImage})`);
  const startedAt = Date.now();
  await must(
    `kind create cluster ${KIND_CLUSTER_NAME}`,
    `read the output above; \`${build.kindBinary} export logs --name ${KIND_CLUSTER_NAME}\` collects the node's journal, kubelet and containerd logs (delete the cluster with \`node --import tsx cluster/kind/offline/cluster.ts delete\`)`,
    sh(CREATE_TIMEOUT_MS)`${build.kindBinary} create cluster --name ${KIND_CLUSTER_NAME} --config ${paths.kindConfig} --kubeconfig ${paths.kubeconfig} --wait 5m`,
  );
  const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
  log(`[kind-offline] ✓ cluster ${KIND_CLUSTER_NAME}: node Ready ${seconds}s after kind create (kubeconfig ${paths.kubeconfig})`);
  return { seconds, kubeconfig: paths.kubeconfig };
}

/** What is left of the cluster in the engine: kind labels its containers and names its network `kind`. */
export async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const containers = (await sh(30_000)`docker ps -a --filter ${`label=io.x-k8s.kind.cluster=${KIND_CLUSTER_NAME}`} --format {{.Names}}`).stdout.trim();
  if (containers) found.push(`containers: ${containers.split("\n").join(", ")}`);
  const networks = (await sh(30_000)`docker network ls --filter name=^kind$ --format {{.Name}}`).stdout.trim();
  if (networks) found.push(`network: ${networks}`);
  const volumes = (await sh(30_000)`docker volume ls --filter dangling=true --format {{.Name}}`).stdout.trim();
  if (volumes) found.push(`dangling volumes: ${volumes.split("\n").join(", ")}`);
  return found;
}

export async function deleteOfflineCluster(log: Log): Promise<string[]> {
  const build = await readOfflineBuild();
  await must(
    `kind delete cluster ${KIND_CLUSTER_NAME}`,
    "read the output above; `docker rm -f -v chaoslab-control-plane` removes the node by hand",
    sh(5 * 60_000)`${build.kindBinary} delete cluster --name ${KIND_CLUSTER_NAME} --kubeconfig ${offlineStatePaths().kubeconfig}`,
  );
  // kind creates the `kind` network on first use and leaves it for later clusters; the lab removes it
  // when no container is attached, so `lab down` leaves nothing behind.
  await sh(60_000)`docker network rm kind`;
  const left = await leftovers();
  log(left.length === 0 ? "[kind-offline] ✓ cluster deleted; no container, network or volume left" : `[kind-offline] ✗ left after delete: ${left.join("; ")}`);
  return left;
}

const SMOKE_IMAGE = "chaoslab/kind-offline-smoke:1";

/**
 * What makes the cluster usable for the lab: kube-system's CoreDNS and kube-proxy Ready, and a pod of a
 * locally built image, loaded with `kind load docker-image` (nothing is pulled), resolving a Service name
 * through CoreDNS and reaching the API server's ClusterIP through kube-proxy's rules.
 */
export async function smokeTestOfflineCluster(log: Log): Promise<void> {
  const build = await readOfflineBuild();
  const kubeconfig = offlineStatePaths().kubeconfig;
  const kubectl = path.join(build.binDir, "kubectl");
  const k = (timeoutMs: number) => sh(timeoutMs, { env: { ...process.env, KUBECONFIG: kubeconfig } });
  const hint = `inspect with KUBECONFIG=${kubeconfig} ${kubectl} get pods -A; ${build.kindBinary} export logs --name ${KIND_CLUSTER_NAME}`;
  // rollout status, not `wait pod -l`: right after create the pods may not exist yet ("no matching resources").
  for (const workload of ["deployment/coredns", "daemonset/kube-proxy"]) {
    await must(`${workload} rolled out`, hint, k(180_000)`${kubectl} -n kube-system rollout status ${workload} --timeout=170s`);
  }
  log("[kind-offline]   CoreDNS and kube-proxy are Ready");
  const dockerfile = `FROM ${build.componentBaseImage}\nCMD ["bash", "-c", "getent hosts kubernetes.default.svc.cluster.local && exec 3<>/dev/tcp/10.96.0.1/443 && echo reached-apiserver-clusterip && sleep 3600"]\n`;
  const context = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-smoke-"));
  await fs.writeFile(path.join(context, "Dockerfile"), dockerfile);
  await must("docker build (smoke image)", hint, sh(5 * 60_000, { env: { ...process.env, DOCKER_BUILDKIT: "0" } })`docker build -q -t ${SMOKE_IMAGE} ${context}`);
  await fs.rm(context, { recursive: true, force: true });
  await must("kind load docker-image", hint, sh(5 * 60_000)`${build.kindBinary} load docker-image ${SMOKE_IMAGE} --name ${KIND_CLUSTER_NAME}`);
  await k(60_000)`${kubectl} delete pod kind-offline-smoke --ignore-not-found --wait`;
  await must("kubectl run (smoke pod)", hint, k(60_000)`${kubectl} run kind-offline-smoke --image=${SMOKE_IMAGE} --image-pull-policy=Never --restart=Never`);
  await must("smoke pod Ready", hint, k(180_000)`${kubectl} wait --for=condition=Ready pod/kind-offline-smoke --timeout=170s`);
  const deadline = Date.now() + 30_000;
  let logs = "";
  while (!logs.includes("reached-apiserver-clusterip") && Date.now() < deadline) {
    logs = (await k(30_000)`${kubectl} logs kind-offline-smoke`).stdout;
    if (!logs.includes("reached-apiserver-clusterip")) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await k(60_000)`${kubectl} delete pod kind-offline-smoke --wait=false`;
  if (!logs.includes("reached-apiserver-clusterip")) throw new OfflineBuildError("smoke pod: DNS and ClusterIP", logs, hint);
  log(`[kind-offline] ✓ a kind-loaded image ran, resolved kubernetes.default through CoreDNS (${logs.split("\n")[0]!.trim()}) and reached its ClusterIP`);
}

/** Loads every image build.ts made for the lab (`kind load docker-image`); prints how long it took. */
export async function loadLabImages(log: Log): Promise<number> {
  const build = await readOfflineBuild();
  log(`[kind-offline] ▶ kind load docker-image: ${build.labImages.length} lab images`);
  const startedAt = Date.now();
  await must(
    "kind load docker-image (lab images)",
    "check the Docker engine's free disk space (docker system df); build the images with `lab setup --provider kind --offline`",
    sh(20 * 60_000)`${build.kindBinary} load docker-image --name ${KIND_CLUSTER_NAME} ${build.labImages}`,
  );
  const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
  log(`[kind-offline] ✓ ${build.labImages.length} lab images loaded in ${seconds}s`);
  return seconds;
}

/**
 * Proves the offline Kafka image: kafka/kafka-kraft-proof.yaml (3 KRaft nodes, `direct` listener) Ready, a
 * topic with replication factor 3 created, then broker pod kafka-1 deleted and recreated by its StatefulSet.
 */
export async function proveOfflineKafka(log: Log): Promise<void> {
  const build = await readOfflineBuild();
  const image = build.labImages.find((candidate) => candidate.startsWith("chaoslab/kafka:"));
  if (!image) throw new OfflineBuildError("the Kafka proof", "no chaoslab/kafka image in kind-offline.json", "run `lab setup --provider kind --offline`");
  const kubectl = path.join(build.binDir, "kubectl");
  const k = (timeoutMs: number, input?: string) => sh(timeoutMs, { env: { ...process.env, KUBECONFIG: offlineStatePaths().kubeconfig }, input });
  const hint = `inspect with KUBECONFIG=${offlineStatePaths().kubeconfig} ${kubectl} -n kafka get pods; ${kubectl} -n kafka logs kafka-0`;
  const manifest = (await fs.readFile(path.join(import.meta.dirname, "kafka", "kafka-kraft-proof.yaml"), "utf8")).replace("chaoslab/kafka:set-by-cluster-ts", image);
  await must("kind load docker-image (Kafka)", hint, sh(10 * 60_000)`${build.kindBinary} load docker-image --name ${KIND_CLUSTER_NAME} ${image}`);
  const startedAt = Date.now();
  await must("kubectl apply (Kafka StatefulSet)", hint, k(60_000, manifest)`${kubectl} apply -f -`);
  await must("Kafka StatefulSet ready", hint, k(10 * 60_000)`${kubectl} -n kafka rollout status statefulset/kafka --timeout=590s`);
  log(`[kind-offline]   3 KRaft nodes Ready ${Math.round((Date.now() - startedAt) / 1000)}s after apply`);
  const topics = (script: string) =>
    must("kafka-topics", hint, k(180_000)`${kubectl} -n kafka exec kafka-0 -- java -Xmx128m -cp ${"/opt/kafka/libs/*"} -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml org.apache.kafka.tools.TopicCommand --bootstrap-server kafka-0.kafka-nodes.kafka.svc:9092 ${script.split(" ")}`);
  await topics("--create --if-not-exists --topic offline-proof --partitions 3 --replication-factor 3");
  const described = await topics("--describe --topic offline-proof");
  log(`[kind-offline]   topic offline-proof: ${described.split("\n").find((line) => line.includes("ReplicationFactor"))?.trim()}`);
  await must("delete broker pod kafka-1", hint, k(120_000)`${kubectl} -n kafka delete pod kafka-1 --wait`);
  await must("kafka-1 recreated and Ready", hint, k(5 * 60_000)`${kubectl} -n kafka wait --for=condition=Ready pod/kafka-1 --timeout=290s`);
  log("[kind-offline] ✓ Kafka (offline image): 3-node KRaft quorum, RF-3 topic, broker pod recreated by its StatefulSet");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log: Log = (line) => process.stderr.write(`${line}\n`);
  const command = process.argv[2];
  const actions: Record<string, () => Promise<unknown>> = {
    create: () => createOfflineCluster(log),
    smoke: () => smokeTestOfflineCluster(log),
    load: () => loadLabImages(log),
    kafka: () => proveOfflineKafka(log),
    delete: () => deleteOfflineCluster(log),
  };
  const action = actions[command ?? ""]?.() ?? Promise.reject(new Error("usage: cluster.ts create|smoke|load|kafka|delete"));
  action.then(
    (result) => {
      if (Array.isArray(result) && result.length > 0) process.exitCode = 3;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 3;
    },
  );
}
