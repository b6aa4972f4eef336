/**
 * Creates and deletes the air-gapped kind cluster from what build.ts recorded in kind-offline.json:
 *
 *   node --import tsx cluster/kind/offline/cluster.ts create   # one node, Ready; prints create → Ready
 *   node --import tsx cluster/kind/offline/cluster.ts delete   # and checks no container/network/volume is left
 *
 * The kind provider will call the same functions once its refactor lands (cluster/providers/kind.ts).
 */
import fs from "node:fs/promises";
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const log: Log = (line) => process.stderr.write(`${line}\n`);
  const command = process.argv[2];
  const action = command === "create" ? createOfflineCluster(log) : command === "delete" ? deleteOfflineCluster(log) : Promise.reject(new Error("usage: cluster.ts create|delete"));
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
