import { describe, expect, it } from "vitest";
import versions from "../../versions.json" with { type: "json" };
import { allKubeadmImages, etcdImageTag, kubeImageDockerfile } from "./component-images.ts";
import { KUBE_NODE_NAMES, kubeVersionLdflags } from "./go-binaries.ts";

describe("kubeadm's images, built offline", () => {
  it("are named as `kubeadm config images list --kubernetes-version v1.34.4` prints them, etcd aside", () => {
    // Printed by kubeadm v1.34.4 (the kube-node binary) on this machine; etcd is the one built (3.6.4), told
    // to kubeadm through kubeadmConfigPatches instead of being tagged 3.6.5-0.
    const pinned = { ...versions, kubernetes: "v1.34.4", coredns: "v1.12.1", pause: "3.10.1", etcd: "v3.6.4" };
    expect(allKubeadmImages(pinned)).toEqual([
      "registry.k8s.io/kube-apiserver:v1.34.4",
      "registry.k8s.io/kube-controller-manager:v1.34.4",
      "registry.k8s.io/kube-scheduler:v1.34.4",
      "registry.k8s.io/kube-proxy:v1.34.4",
      "registry.k8s.io/etcd:3.6.4-0",
      "registry.k8s.io/coredns/coredns:v1.12.1",
      "registry.k8s.io/pause:3.10.1",
    ]);
  });

  it("tag etcd with the version that is actually built (versions.json), revision 0", () => {
    expect(etcdImageTag({ ...versions, etcd: "v3.6.4" })).toBe("3.6.4-0");
    expect(etcdImageTag()).toBe(`${versions.etcd.replace(/^v/, "")}-0`);
  });

  it("put every name kubeadm's static pods and kube-proxy call on PATH as a link to the one binary", () => {
    const dockerfile = kubeImageDockerfile("chaoslab/kind-component-base:x");
    for (const name of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd"]) {
      expect(dockerfile).toContain(`ln -s kube-node /usr/local/bin/${name}`);
    }
    expect(KUBE_NODE_NAMES).toContain("kubelet");
    // A chmod after COPY would duplicate the 200 MB binary in a second layer.
    expect(dockerfile).not.toMatch(/chmod/);
  });

  it("stamp the Kubernetes version into both version packages (else /version says v0.0.0)", () => {
    const flags = kubeVersionLdflags("v1.34.4");
    for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
      expect(flags).toContain(`-X ${pkg}.gitVersion=v1.34.4`);
      expect(flags).toContain(`-X ${pkg}.gitMajor=1`);
      expect(flags).toContain(`-X ${pkg}.gitMinor=34`);
    }
  });
});
