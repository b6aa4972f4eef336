/**
 * Pure rendering of the files that adapt kind's node layout to what the offline node image holds:
 * containerd's config (kind v0.32 ships one for the containerd 2.x it builds; the node here runs Debian's
 * containerd 1.6), the CNI config that replaces kindnet for one node, and the kind cluster config.
 */
import { stringify } from "yaml";

export interface ContainerdConfigOptions {
  /** The sandbox image preloaded in the node (kubeadm's pause tag). */
  sandboxImage: string;
}

/**
 * Edits kind's images/base/files/etc/containerd/config.toml (config format version 2, which containerd
 * 1.6 reads too) for this node:
 * - restrict_oom_score_adj = true: without CAP_SYS_RESOURCE (nested/sandboxed Docker) raising a
 *   container's oom_score_adj fails, and every pod sandbox fails with "can't get final child's PID from
 *   pipe: EOF". kind's entrypoint only sets it for rootless hosts;
 * - the sandbox image is the pause version preloaded (kind pins an older one);
 * - no fuse-overlayfs proxy plugin: the image has no containerd-fuse-overlayfs (overlayfs works here).
 * Throws when kind's file no longer has a line this relies on, so a kind upgrade cannot silently drop an edit.
 */
export function renderContainerdConfig(kindConfig: string, options: ContainerdConfigOptions): string {
  const edits: { what: string; pattern: RegExp; replacement: string }[] = [
    { what: "config version 2", pattern: /^version = 2$/m, replacement: "version = 2" },
    { what: "restrict_oom_score_adj", pattern: /^(\s*)restrict_oom_score_adj = false$/m, replacement: "$1restrict_oom_score_adj = true" },
    { what: "sandbox_image", pattern: /^(\s*)sandbox_image = ".*"$/m, replacement: `$1sandbox_image = "${options.sandboxImage}"` },
    {
      what: "the fuse-overlayfs proxy plugin",
      pattern: /^\[proxy_plugins\]\n(#.*\n)*\[proxy_plugins\."fuse-overlayfs"\]\n([ \t]+.*\n)+/m,
      replacement: "",
    },
  ];
  let config = kindConfig;
  for (const edit of edits) {
    if (!edit.pattern.test(config)) {
      throw new Error(`kind's containerd config.toml has no ${edit.what} line (${edit.pattern}); kind's base image changed: update cluster/kind/offline/node-config.ts`);
    }
    config = config.replace(edit.pattern, edit.replacement);
  }
  return `# Rendered by cluster/kind/offline/node-config.ts from kind's images/base/files/etc/containerd/config.toml\n${config}`;
}

/** bridge + host-local + portmap: pod networking for a one-node cluster without kindnet (which is not built offline). */
export function renderBridgeConflist(podSubnet: string): string {
  return `${JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "chaoslab-bridge",
      plugins: [
        {
          type: "bridge",
          bridge: "cni0",
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: "host-local", ranges: [[{ subnet: podSubnet }]], routes: [{ dst: "0.0.0.0/0" }] },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The first node's pod CIDR: the controller-manager gives node 1 the first /24 of kind's pod subnet. */
export function firstNodePodCidr(podSubnet: string): string {
  const match = /^(\d+)\.(\d+)\.\d+\.\d+\/(\d+)$/.exec(podSubnet);
  if (!match || Number(match[3]) > 24) throw new Error(`pod subnet ${podSubnet}: expected an IPv4 CIDR of /24 or larger`);
  return `${match[1]}.${match[2]}.0.0/24`;
}

export interface OfflineKindConfigOptions {
  clusterName: string;
  nodeImage: string;
  podSubnet: string;
  /** The etcd image tag preloaded in the node (the etcd version actually built, not the one kubeadm defaults to). */
  etcdImageTag: string;
  extraPortMappings?: { containerPort: number; hostPort: number; listenAddress?: string; protocol?: string }[];
}

/** One control-plane node, no default CNI (the node image's bridge conflist serves it), etcd tag patched. */
export function renderOfflineKindConfig(options: OfflineKindConfigOptions): string {
  const config = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    name: options.clusterName,
    networking: { disableDefaultCNI: true, podSubnet: options.podSubnet },
    kubeadmConfigPatches: [
      stringify({ kind: "ClusterConfiguration", etcd: { local: { imageTag: options.etcdImageTag } } }),
    ],
    nodes: [
      {
        role: "control-plane",
        image: options.nodeImage,
        ...(options.extraPortMappings?.length ? { extraPortMappings: options.extraPortMappings } : {}),
      },
    ],
  };
  return `# Rendered by cluster/kind/offline/node-config.ts: the air-gapped kind lab (one node, images built offline).\n${stringify(config)}`;
}
