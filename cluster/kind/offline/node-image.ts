/**
 * The kind node image, built offline in two stages:
 * 1. node base: the debootstrapped node rootfs + kind's images/base/files (entrypoint, systemd units,
 *    containerd config, from the kind module in the Go module cache) + the kube-node binary (kubelet,
 *    kubeadm, kubectl), crictl, the CNI plugins, the containerd config for Debian's containerd 1.6, the
 *    bridge CNI config, and the systemd trimming of kind's base Dockerfile. A Dockerfile, because
 *    `docker import` and `docker commit` cannot set STOPSIGNAL (systemd stops on SIGRTMIN+3, not SIGTERM).
 * 2. preload: kubeadm's images are imported into the node's containerd (`ctr images import` in a build
 *    container, the way `kind build node-image` does it), then the container is committed.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { allKubeadmImages, dockerBuild, INPUTS_LABEL } from "./component-images.ts";
import { CNI_PLUGINS } from "./go-binaries.ts";
import { firstNodePodCidr, renderBridgeConflist, renderContainerdConfig } from "./node-config.ts";
import { must, OfflineBuildError, sh } from "./steps.ts";

export const KIND_POD_SUBNET = "10.244.0.0/16";
const DOCKER_HINT = "check that the Docker engine answers (cluster/kind/offline/docker-host.sh) and has disk space";

export interface NodeBaseInputs {
  rootfsImage: string;
  kindModuleDir: string;
  kubeNodeDir: string;
  crictlDir: string;
  cniDir: string;
}

/** The kind base Dockerfile's steps that apply to a Debian rootfs (images/base/Dockerfile, kind v0.32.0). */
export function nodeBaseDockerfile(rootfsImage: string, kubernetesVersion: string): string {
  const kubeLinks = ["kubelet", "kubeadm", "kubectl"].map((name) => `ln -s /usr/local/bin/kube-node /usr/bin/${name}`).join(" && ");
  return `FROM ${rootfsImage}
COPY kind-files/ /
COPY kube-node crictl /usr/local/bin/
COPY cni/ /opt/cni/bin/
COPY config.toml /etc/containerd/config.toml
COPY 10-chaoslab-bridge.conflist /etc/cni/net.d/10-chaoslab-bridge.conflist
RUN set -eux \\
 && chmod 0755 /usr/local/bin/* /kind /kind/bin /kind/bin/* /opt/cni/bin/* \\
 && chmod -R a+rX,go-w /etc/containerd /etc/systemd/system /etc/sysctl.d /etc/default /etc/cni /kind \\
 && ${kubeLinks} \\
 && ln -s /usr/bin/containerd /usr/local/bin/containerd \\
 && ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json \\
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \\
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/* \\
          /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \\
 && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \\
 && ln -sf /usr/lib/systemd/systemd /sbin/init \\
 && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \\
 && systemctl mask systemd-binfmt.service \\
 && mkdir -p /etc/kubernetes/manifests \\
 && echo "${kubernetesVersion}" > /kind/version
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
`;
}

export async function nodeBaseFiles(inputs: NodeBaseInputs): Promise<{ containerdConfig: string; conflist: string }> {
  const kindConfig = await fs.readFile(path.join(inputs.kindModuleDir, "images", "base", "files", "etc", "containerd", "config.toml"), "utf8");
  return {
    containerdConfig: renderContainerdConfig(kindConfig, { sandboxImage: `registry.k8s.io/pause:${versions.pause}` }),
    conflist: renderBridgeConflist(firstNodePodCidr(KIND_POD_SUBNET)),
  };
}

export async function buildNodeBaseImage(inputs: NodeBaseInputs, image: string, inputsHash: string): Promise<void> {
  const context = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-node-"));
  try {
    const { containerdConfig, conflist } = await nodeBaseFiles(inputs);
    await fs.cp(path.join(inputs.kindModuleDir, "images", "base", "files"), path.join(context, "kind-files"), { recursive: true });
    await sh(60_000)`chmod -R u+w ${context}`;
    await fs.mkdir(path.join(context, "cni"));
    for (const plugin of CNI_PLUGINS) {
      const name = path.basename(plugin);
      await fs.copyFile(path.join(inputs.cniDir, name), path.join(context, "cni", name));
    }
    await fs.writeFile(path.join(context, "config.toml"), containerdConfig);
    await fs.writeFile(path.join(context, "10-chaoslab-bridge.conflist"), conflist);
    // dockerBuild copies single files; the directories above are already in place.
    const binaries = { "kube-node": path.join(inputs.kubeNodeDir, "kube-node"), crictl: path.join(inputs.crictlDir, "crictl") };
    await dockerBuild([image], nodeBaseDockerfile(inputs.rootfsImage, versions.kubernetes), binaries, { [INPUTS_LABEL]: inputsHash }, context);
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

/** Imports kubeadm's images into the node's containerd and commits the result as `image`. */
export async function preloadNodeImage(baseImage: string, image: string, inputsHash: string, log: (line: string) => void): Promise<void> {
  const images = allKubeadmImages();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-preload-"));
  const container = `chaoslab-node-build-${process.pid}`;
  const exec = (timeoutMs: number) => sh(timeoutMs);
  try {
    const tar = path.join(work, "images.tar");
    await must("docker save (kubeadm images)", DOCKER_HINT, exec(10 * 60_000)`docker save -o ${tar} ${images}`);
    await must(
      "docker run (node build container)",
      "the engine must run privileged containers: run cluster/kind/offline/docker-host.sh",
      exec(60_000)`docker run -d --privileged --name ${container} --entrypoint sleep ${baseImage} infinity`,
    );
    await must("docker cp images.tar", DOCKER_HINT, exec(10 * 60_000)`docker cp ${tar} ${`${container}:/var/images.tar`}`);
    await must("start containerd in the build container", DOCKER_HINT, exec(30_000)`docker exec -d ${container} sh -c ${"containerd >/var/log/containerd-build.log 2>&1"}`);
    const deadline = Date.now() + 60_000;
    while ((await exec(10_000)`docker exec ${container} ctr version`).exitCode !== 0) {
      if (Date.now() > deadline) {
        const logTail = (await exec(10_000)`docker exec ${container} tail -n 20 /var/log/containerd-build.log`).stdout;
        throw new OfflineBuildError("containerd in the node build container did not answer within 60s", logTail, "read the containerd log above");
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    log(`[kind-offline]   importing ${images.length} images into the node's containerd`);
    await must(
      "ctr images import",
      "read the output above",
      exec(20 * 60_000)`docker exec ${container} ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests /var/images.tar`,
    );
    const listed = (await must("ctr images ls", "read the output above", exec(60_000)`docker exec ${container} ctr -n k8s.io images ls -q`)).split("\n");
    const missing = images.filter((wanted) => !listed.includes(wanted));
    if (missing.length > 0) throw new OfflineBuildError("preloading the node's images", `not in containerd after import: ${missing.join(", ")}`, "read the ctr import output");
    await must("stop containerd in the build container", "read the output above", exec(60_000)`docker exec ${container} sh -c ${"pkill -x containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done; rm -f /var/images.tar /var/log/containerd-build.log"}`);
    await must(
      "docker commit (node image)",
      DOCKER_HINT,
      exec(10 * 60_000)`docker commit --change ${'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'} --change ${"CMD []"} --change ${`LABEL ${INPUTS_LABEL}=${inputsHash}`} ${container} ${image}`,
    );
  } finally {
    await exec(60_000)`docker rm -f -v ${container}`;
    await fs.rm(work, { recursive: true, force: true });
  }
}
