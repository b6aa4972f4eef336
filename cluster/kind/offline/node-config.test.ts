import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { firstNodePodCidr, renderBridgeConflist, renderContainerdConfig, renderOfflineKindConfig } from "./node-config.ts";

// kind v0.32.0's images/base/files/etc/containerd/config.toml, copied as it is (Apache-2.0).
const KIND_CONFIG = fs.readFileSync(path.join(import.meta.dirname, "testdata", "kind-v0.32.0-containerd-config.toml"), "utf8");

describe("renderContainerdConfig", () => {
  const rendered = renderContainerdConfig(KIND_CONFIG, { sandboxImage: "registry.k8s.io/pause:3.10.1" });

  it("turns restrict_oom_score_adj on (sandboxes fail without CAP_SYS_RESOURCE otherwise)", () => {
    expect(rendered).toMatch(/^\s*restrict_oom_score_adj = true$/m);
    expect(rendered).not.toMatch(/restrict_oom_score_adj = false/);
  });

  it("points the sandbox image at the preloaded pause", () => {
    expect(rendered).toMatch(/^\s*sandbox_image = "registry.k8s.io\/pause:3.10.1"$/m);
    expect(rendered.match(/sandbox_image/g)).toHaveLength(1);
  });

  it("drops the fuse-overlayfs proxy plugin and keeps the runtimes", () => {
    expect(rendered).not.toContain("proxy_plugins");
    expect(rendered).not.toContain("containerd-fuse-overlayfs.sock");
    expect(rendered).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]');
    expect(rendered).toContain("SystemdCgroup = true");
    expect(rendered).toContain('snapshotter = "overlayfs"');
  });

  it("fails, naming the line, when kind's file no longer has what an edit relies on", () => {
    const withoutOom = KIND_CONFIG.replace(/^\s*restrict_oom_score_adj = false$/m, "");
    expect(() => renderContainerdConfig(withoutOom, { sandboxImage: "x" })).toThrow(/no restrict_oom_score_adj line/);
    const version3 = KIND_CONFIG.replace("version = 2", "version = 3");
    expect(() => renderContainerdConfig(version3, { sandboxImage: "x" })).toThrow(/no config version 2 line/);
  });
});

describe("renderBridgeConflist", () => {
  it("is a bridge + host-local + portmap chain on the node's pod CIDR", () => {
    const conflist = JSON.parse(renderBridgeConflist("10.244.0.0/24")) as { plugins: { type: string; ipam?: { ranges: { subnet: string }[][] } }[] };
    expect(conflist.plugins.map((plugin) => plugin.type)).toEqual(["bridge", "portmap"]);
    expect(conflist.plugins[0]!.ipam!.ranges[0]![0]!.subnet).toBe("10.244.0.0/24");
  });

  it("takes the first /24 of the pod subnet (what the controller-manager gives node 1)", () => {
    expect(firstNodePodCidr("10.244.0.0/16")).toBe("10.244.0.0/24");
    expect(() => firstNodePodCidr("10.244.0.0/25")).toThrow(/\/24 or larger/);
    expect(() => firstNodePodCidr("fd00::/64")).toThrow(/IPv4/);
  });
});

describe("renderOfflineKindConfig", () => {
  const config = parse(
    renderOfflineKindConfig({ clusterName: "chaoslab", nodeImage: "chaoslab/kind-node:v1.34.4-abc", podSubnet: "10.244.0.0/16", etcdImageTag: "3.6.4-0" }),
  ) as { name: string; networking: { disableDefaultCNI: boolean; podSubnet: string }; kubeadmConfigPatches: string[]; nodes: { role: string; image: string }[] };

  it("creates one control-plane node of the offline image, without kindnet", () => {
    expect(config.name).toBe("chaoslab");
    expect(config.nodes).toEqual([{ role: "control-plane", image: "chaoslab/kind-node:v1.34.4-abc" }]);
    expect(config.networking).toEqual({ disableDefaultCNI: true, podSubnet: "10.244.0.0/16" });
  });

  it("tells kubeadm the etcd tag that was built instead of re-tagging another version", () => {
    expect(config.kubeadmConfigPatches.map((patch) => parse(patch))).toEqual([{ kind: "ClusterConfiguration", etcd: { local: { imageTag: "3.6.4-0" } } }]);
  });
});
