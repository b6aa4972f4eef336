/**
 * `chaoslab lab setup --provider kind --offline`: builds the air-gapped kind lab from package registries
 * only (Debian via debootstrap, the Go module proxy), one step at a time, each cached by version and input
 * hash. Writes `<cache>/kind-offline.json` naming what was built, for whoever creates the cluster.
 *
 *   node --import tsx cluster/kind/offline/build.ts     # or: node bin/chaoslab.mjs lab setup --provider kind --offline
 */
import fs from "node:fs/promises";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { hashInputs, imageTag } from "./cache-key.ts";
import { cacheDir } from "../../build/cache-dir.ts";
import {
  INPUTS_LABEL,
  allKubeadmImages,
  buildCorednsImage,
  buildKubeImages,
  buildPauseImage,
  etcdImageTag,
  imageInputsLabel,
  kubeadmImages,
  kubeImageDockerfile,
} from "./component-images.ts";
import {
  type GoArtifact,
  type LocatedArtifact,
  buildGoArtifact,
  cniPluginBinaries,
  corednsBinary,
  crictlBinary,
  downloadModule,
  isGoArtifactBuilt,
  kindBinary,
  kubeNodeBinary,
  locateGoArtifact,
  pauseBinary,
} from "./go-binaries.ts";
import { buildNodeBaseImage, nodeBaseDockerfile, nodeBaseFiles, preloadNodeImage } from "./node-image.ts";
import { buildKafkaImage } from "./kafka-image.ts";
import { seedArgoRolloutsInstall } from "./argo-install.ts";
import { buildLabImages } from "./lab-images.ts";
import { COMPONENT_BASE_ROOTFS, NODE_ROOTFS, buildRootfsImage, rootfsImage } from "./rootfs.ts";
import { type Log, OfflineBuildError, StepLog, type StepReport, dockerImageExists, sh } from "./steps.ts";

export interface OfflineKindBuild {
  kindBinary: string;
  /** The multi-call binary; a symlink named kubectl to it is a kubectl of the cluster's version. */
  kubeNode: string;
  nodeImage: string;
  /** Debian base of the component images (glibc, iptables): a base for images built offline. */
  componentBaseImage: string;
  /** The lab's own images (every tag), Toxiproxy, the Argo Rollouts controller and Kafka, for `kind load docker-image`. */
  labImages: string[];
  /** The offline Kafka image (one of labImages): the StatefulSet's brokers. */
  kafkaImage: string;
  /** `kind` and `kubectl` (a link to kubeNode): the kind provider runs these; put it first on PATH to use them by hand. */
  binDir: string;
  /** Argo Rollouts' install.yaml with the image pinned, where the kind provider caches the release asset. */
  argoRolloutsInstall: string;
  etcdImageTag: string;
  kubernetesVersion: string;
  steps: StepReport[];
}

export function offlineManifestPath(): string {
  return path.join(cacheDir(), "kind-offline.json");
}

async function requireDockerEngine(): Promise<void> {
  const info = await sh(30_000)`docker info --format {{.ServerVersion}}`;
  if (info.exitCode !== 0) {
    throw new OfflineBuildError(
      "docker info",
      (info.stderr || info.stdout).trim(),
      "start a Docker engine: as root, cluster/kind/offline/docker-host.sh installs Debian's docker.io and starts dockerd (with the runtime shim where the host lacks CAP_SYS_RESOURCE)",
    );
  }
}

/** A Docker image cached by an inputs hash recorded in its label (for images whose tag is fixed by kubeadm). */
async function labelledImagesCurrent(images: string[], inputsHash: string): Promise<boolean> {
  for (const image of images) if ((await imageInputsLabel(image)) !== inputsHash) return false;
  return true;
}

async function imageId(image: string): Promise<string> {
  return (await sh(30_000)`docker image inspect --format {{.Id}} ${image}`).stdout.trim();
}

/** Earlier builds of the same repository are stale once a new one exists (each node image is ~1 GB). */
async function removeOtherTags(current: string, log: Log): Promise<void> {
  const repository = current.slice(0, current.lastIndexOf(":"));
  const listed = await sh(30_000)`docker images ${repository} --format {{.Repository}}:{{.Tag}}`;
  const stale = listed.stdout.split("\n").filter((image) => image && image !== current);
  if (stale.length === 0) return;
  const removed = await sh(5 * 60_000)`docker rmi ${stale}`;
  log(`[kind-offline]   ${removed.exitCode === 0 ? "removed" : "could not remove (in use?)"} earlier builds: ${stale.join(", ")}`);
}

/** `<cache>/kind-offline-bin/{kind,kubectl}`: kube-node dispatches on its name, so a link named kubectl is kubectl. */
async function linkTools(kind: LocatedArtifact, kubeNode: LocatedArtifact): Promise<string> {
  const binDir = path.join(cacheDir(), "kind-offline-bin");
  await fs.mkdir(binDir, { recursive: true });
  for (const [name, target] of [["kind", path.join(kind.dir, "kind")], ["kubectl", path.join(kubeNode.dir, "kube-node")]] as const) {
    await fs.rm(path.join(binDir, name), { force: true });
    await fs.symlink(target, path.join(binDir, name));
  }
  return binDir;
}

export async function buildOfflineKind(log: Log = (line) => process.stderr.write(`${line}\n`)): Promise<OfflineKindBuild> {
  const steps = new StepLog(log);
  const startedAt = Date.now();
  await requireDockerEngine();

  const go = async (artifact: GoArtifact, what: string): Promise<LocatedArtifact> => {
    const located = await locateGoArtifact(artifact);
    await steps.step(`${what} ${artifact.version}`, () => isGoArtifactBuilt(located), () => buildGoArtifact(located));
    return located;
  };
  const kind = await go(kindBinary, "kind (Go module proxy)");
  const kubeNode = await go(kubeNodeBinary, "kube-node: kubelet, kubeadm, kubectl, kube-proxy, control plane, etcd");
  const cni = await go(cniPluginBinaries, "CNI plugins");
  const crictl = await go(crictlBinary, "crictl");
  const coredns = await go(corednsBinary, "CoreDNS");
  const pause = await go(pauseBinary, "pause (C, from k8s.io/kubernetes)");

  const nodeRootfs = await rootfsImage(NODE_ROOTFS);
  await steps.step(`node rootfs (debootstrap ${versions.debian}) ${nodeRootfs}`, () => dockerImageExists(nodeRootfs), () => buildRootfsImage(NODE_ROOTFS, nodeRootfs));
  const baseRootfs = await rootfsImage(COMPONENT_BASE_ROOTFS);
  await steps.step(`component base rootfs (debootstrap ${versions.debian}) ${baseRootfs}`, () => dockerImageExists(baseRootfs), () => buildRootfsImage(COMPONENT_BASE_ROOTFS, baseRootfs));

  const images = kubeadmImages();
  const kubeImagesHash = await hashInputs([kubeImageDockerfile(baseRootfs), kubeNode.dir]);
  await steps.step(
    `control-plane, kube-proxy and etcd images (${versions.kubernetes}, etcd ${etcdImageTag()})`,
    () => labelledImagesCurrent([...images.controlPlane, images.etcd], kubeImagesHash),
    () => buildKubeImages(baseRootfs, path.join(kubeNode.dir, "kube-node"), { [INPUTS_LABEL]: kubeImagesHash }),
  );
  const corednsHash = await hashInputs([coredns.dir]);
  await steps.step(`CoreDNS image ${images.coredns}`, () => labelledImagesCurrent([images.coredns], corednsHash), () =>
    buildCorednsImage(path.join(coredns.dir, "coredns"), { [INPUTS_LABEL]: corednsHash }),
  );
  const pauseHash = await hashInputs([pause.dir]);
  await steps.step(`pause image ${images.pause}`, () => labelledImagesCurrent([images.pause], pauseHash), () =>
    buildPauseImage(path.join(pause.dir, "pause"), { [INPUTS_LABEL]: pauseHash }),
  );

  const kindModuleDir = await downloadModule("sigs.k8s.io/kind", versions.kind);
  const nodeInputs = { rootfsImage: nodeRootfs, kindModuleDir, kubeNodeDir: kubeNode.dir, crictlDir: crictl.dir, cniDir: cni.dir };
  const { containerdConfig, conflist } = await nodeBaseFiles(nodeInputs);
  const nodeBaseHash = await hashInputs([
    nodeBaseDockerfile(nodeRootfs, versions.kubernetes),
    { dir: path.join(kindModuleDir, "images", "base", "files") },
    kubeNode.dir,
    crictl.dir,
    cni.dir,
    containerdConfig,
    conflist,
  ]);
  const nodeBase = imageTag("chaoslab/kind-node-base", versions.kubernetes, nodeBaseHash);
  await steps.step(`node base image ${nodeBase}`, () => dockerImageExists(nodeBase), () => buildNodeBaseImage(nodeInputs, nodeBase, nodeBaseHash));

  const preloaded = allKubeadmImages();
  const nodeHash = await hashInputs([nodeBase, ...(await Promise.all(preloaded.map(imageId)))]);
  const nodeImage = imageTag("chaoslab/kind-node", versions.kubernetes, nodeHash);
  await steps.step(`node image with ${preloaded.length} preloaded images ${nodeImage}`, () => dockerImageExists(nodeImage), () =>
    preloadNodeImage(nodeBase, nodeImage, nodeHash, log),
  );

  const kafkaImage = await buildKafkaImage(steps);
  const labImages = [...(await buildLabImages(steps, baseRootfs)), kafkaImage];
  const argoRolloutsInstall = await seedArgoRolloutsInstall(steps);
  const binDir = await linkTools(kind, kubeNode);

  for (const current of [nodeRootfs, baseRootfs, nodeBase, nodeImage]) await removeOtherTags(current, log);

  const build: OfflineKindBuild = {
    kindBinary: path.join(kind.dir, "kind"),
    kubeNode: path.join(kubeNode.dir, "kube-node"),
    nodeImage,
    componentBaseImage: baseRootfs,
    labImages,
    kafkaImage,
    binDir,
    argoRolloutsInstall,
    etcdImageTag: etcdImageTag(),
    kubernetesVersion: versions.kubernetes,
    steps: steps.reports,
  };
  await fs.mkdir(cacheDir(), { recursive: true });
  await fs.writeFile(offlineManifestPath(), `${JSON.stringify(build, null, 2)}\n`);
  const built = steps.reports.filter((report) => !report.cached).length;
  log(`[kind-offline] done in ${Math.round((Date.now() - startedAt) / 1000)}s (${built} built, ${steps.reports.length - built} cached): node image ${nodeImage}, kind ${build.kindBinary}`);
  return build;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildOfflineKind().catch((error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 3;
  });
}
