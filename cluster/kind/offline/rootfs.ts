/**
 * Debian root filesystems made with debootstrap and turned into Docker images with `docker import`:
 * the kind node's (systemd, Debian's containerd and runc, the tools kind's own base image installs) and a
 * small base for the control-plane, etcd and CoreDNS images. The image tag carries the suite and a hash of
 * the package list, so changing a package rebuilds it.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { hashInputs, imageTag } from "./cache-key.ts";
import { must, sh } from "./steps.ts";

export interface RootfsSpec {
  repository: string;
  /** Packages added to debootstrap's minbase variant. */
  packages: readonly string[];
}

/** What kind's images/base/Dockerfile installs, with Debian's containerd and runc instead of built ones. */
export const NODE_ROOTFS: RootfsSpec = {
  repository: "chaoslab/kind-node-rootfs",
  packages: [
    "systemd", "containerd", "runc",
    "conntrack", "iptables", "nftables", "iproute2", "ethtool", "util-linux", "mount", "kmod",
    "libseccomp2", "pigz", "e2fsprogs", "bash", "ca-certificates", "jq", "procps", "socat",
  ],
};

/** kube-proxy needs iptables and conntrack in its image; the rest need only glibc. */
export const COMPONENT_BASE_ROOTFS: RootfsSpec = {
  repository: "chaoslab/kind-component-base",
  packages: ["iptables", "conntrack", "ca-certificates"],
};

function debianMirror(): string {
  return process.env.CHAOSLAB_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
}

export async function rootfsImage(spec: RootfsSpec): Promise<string> {
  return imageTag(spec.repository, versions.debian, await hashInputs([versions.debian, ...[...spec.packages].sort()]));
}

const DEBOOTSTRAP_TIMEOUT_MS = 20 * 60_000;

export async function buildRootfsImage(spec: RootfsSpec, image: string): Promise<void> {
  const target = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-rootfs-"));
  try {
    await must(
      `debootstrap ${versions.debian} (${spec.repository})`,
      `debootstrap needs root and the Debian mirror ${debianMirror()} (set CHAOSLAB_DEBIAN_MIRROR to use another); install it with apt-get install debootstrap`,
      sh(DEBOOTSTRAP_TIMEOUT_MS)`debootstrap --variant=minbase --include=${spec.packages.join(",")} ${versions.debian} ${target} ${debianMirror()}`,
    );
    // Package caches and lists are not needed in an image; apt inside it would not reach a mirror anyway.
    for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
      await sh(60_000)`find ${path.join(target, dir)} -type f -delete`;
    }
    await must(
      `docker import ${image}`,
      "check that the Docker engine answers (cluster/kind/offline/docker-host.sh) and has disk space",
      sh(DEBOOTSTRAP_TIMEOUT_MS)`tar -C ${target} --numeric-owner -c . | docker import - ${image}`,
    );
  } finally {
    await sh(5 * 60_000)`rm -rf --one-file-system ${target}`;
  }
}
