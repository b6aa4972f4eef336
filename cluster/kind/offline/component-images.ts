/**
 * The images kubeadm runs on the node, built from local binaries with tiny Dockerfiles FROM local images
 * (nothing is pulled): kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy and etcd (one
 * image holding the kube-node multi-call binary, tagged five times: containerd stores its layers once),
 * CoreDNS and pause. Tags are the names kubeadm asks for; etcd's tag is the etcd actually built.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { KUBE_NODE_NAMES } from "./go-binaries.ts";
import { must, sh } from "./steps.ts";

const DOCKER_BUILD_TIMEOUT_MS = 20 * 60_000;
const DOCKER_HINT = "check that the Docker engine answers (cluster/kind/offline/docker-host.sh) and has disk space";

/** kubeadm's image names for the pinned versions (`kubeadm config images list`), etcd's tag aside. */
export function kubeadmImages(pinned: typeof versions = versions) {
  const registry = "registry.k8s.io";
  return {
    controlPlane: ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map((name) => `${registry}/${name}:${pinned.kubernetes}`),
    etcd: `${registry}/etcd:${etcdImageTag(pinned)}`,
    coredns: `${registry}/coredns/coredns:${pinned.coredns}`,
    pause: `${registry}/pause:${pinned.pause}`,
  };
}

/** etcd images are tagged `<version>-<revision>`; this one carries the etcd of versions.json, revision 0. */
export function etcdImageTag(pinned: typeof versions = versions): string {
  return `${pinned.etcd.replace(/^v/, "")}-0`;
}

export function allKubeadmImages(pinned: typeof versions = versions): string[] {
  const images = kubeadmImages(pinned);
  return [...images.controlPlane, images.etcd, images.coredns, images.pause];
}

/**
 * Builds one image from a Dockerfile and the given files, copied into `contextDir` (a temporary directory,
 * removed afterwards, unless the caller passes one it prepared and owns).
 */
export async function dockerBuild(
  tags: string[],
  dockerfile: string,
  files: Record<string, string>,
  labels: Record<string, string>,
  contextDir?: string,
): Promise<void> {
  const context = contextDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-image-")));
  try {
    for (const [name, source] of Object.entries(files)) await fs.copyFile(source, path.join(context, name));
    await fs.writeFile(path.join(context, "Dockerfile"), dockerfile);
    const tagArgs = tags.flatMap((tag) => ["-t", tag]);
    const labelArgs = Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
    // The classic builder: BuildKit may try to resolve FROM images against a registry; these are all local.
    await must(
      `docker build ${tags.join(" ")}`,
      DOCKER_HINT,
      sh(DOCKER_BUILD_TIMEOUT_MS, { env: { ...process.env, DOCKER_BUILDKIT: "0" } })`docker build -q ${tagArgs} ${labelArgs} ${context}`,
    );
  } finally {
    if (!contextDir) await fs.rm(context, { recursive: true, force: true });
  }
}

export function kubeImageDockerfile(baseImage: string): string {
  const links = KUBE_NODE_NAMES.map((name) => `ln -s kube-node /usr/local/bin/${name}`).join(" && ");
  // No chmod after COPY: it would copy the 200 MB binary into a second layer. The cache's file is 0755
  // and the build context copy keeps its mode.
  return [`FROM ${baseImage}`, "COPY kube-node /usr/local/bin/kube-node", `RUN ${links}`, ""].join("\n");
}

export async function buildKubeImages(baseImage: string, kubeNode: string, label: Record<string, string>): Promise<void> {
  const images = kubeadmImages();
  await dockerBuild([...images.controlPlane, images.etcd], kubeImageDockerfile(baseImage), { "kube-node": kubeNode }, label);
}

export async function buildCorednsImage(coredns: string, label: Record<string, string>): Promise<void> {
  const dockerfile = ["FROM scratch", "COPY coredns /coredns", 'ENTRYPOINT ["/coredns"]', ""].join("\n");
  await dockerBuild([kubeadmImages().coredns], dockerfile, { coredns }, label);
}

export async function buildPauseImage(pause: string, label: Record<string, string>): Promise<void> {
  // As upstream's: static, PID 1 of every pod sandbox, run as nobody.
  const dockerfile = ["FROM scratch", "COPY pause /pause", "USER 65535:65535", 'ENTRYPOINT ["/pause"]', ""].join("\n");
  await dockerBuild([kubeadmImages().pause], dockerfile, { pause }, label);
}

/** The label that records which inputs an image was built from (the cache check reads it back). */
export const INPUTS_LABEL = "io.streamforge.chaoslab.inputs";

export async function imageInputsLabel(image: string): Promise<string | undefined> {
  const result = await sh(30_000)`docker image inspect --format ${`{{index .Config.Labels "${INPUTS_LABEL}"}}`} ${image}`;
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
