/**
 * The Go programs of the offline kind lab, each built from the Go module proxy into its own cache
 * directory (`~/.cache/chaoslab/<key>/`): kind itself, the node's multi-call Kubernetes binary, the CNI
 * plugins, crictl, CoreDNS, and the pause binary (C, from the k8s.io/kubernetes module).
 *
 * Go builds use the machine's shared module and build caches; GOTOOLCHAIN=local so a module asking for a
 * newer Go fails loudly instead of trying to download one. One build at a time (2 cores).
 */
import fs from "node:fs/promises";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { type CacheInput, artifactKey, hashInputs } from "./cache-key.ts";
import { cacheDir } from "../../build/cache-dir.ts";
import { buildDirectory, exists, must, sh } from "./steps.ts";

const GO_BUILD_TIMEOUT_MS = 60 * 60_000;
const HERE = path.dirname(new URL(import.meta.url).pathname);
const KUBE_NODE_MODULE = path.join(HERE, "kube-node");

/** Names the multi-call binary answers to (symlinks in the node and control-plane images). */
export const KUBE_NODE_NAMES = ["kubelet", "kubeadm", "kubectl", "kube-proxy", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"] as const;

export const CNI_PLUGINS = ["main/bridge", "main/loopback", "main/ptp", "ipam/host-local", "meta/portmap"] as const;

export interface GoArtifact {
  name: string;
  version: string;
  /** Files (relative to the cache directory) that must exist. */
  outputs: string[];
  inputs: CacheInput[];
  build(outDir: string): Promise<void>;
}

export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod -buildvcs=false", ...extra };
}

const GO_HINT = "check that the Go module proxy answers (go env GOPROXY) and that Go ≥ 1.24 is on PATH; the output above names the package";

async function goInstall(outDir: string, packages: string[], extraEnv: Record<string, string> = {}) {
  await must(
    `go install ${packages.join(" ")}`,
    GO_HINT,
    sh(GO_BUILD_TIMEOUT_MS, { env: goEnv({ GOBIN: outDir, GOFLAGS: "-buildvcs=false", ...extraEnv }) })`go install -trimpath -ldflags=${"-s -w"} ${packages}`,
  );
}

/** The same version ldflags as the sim's kube build, so `kubectl version` and the apiserver's /version tell the truth. */
export function kubeVersionLdflags(kubernetesVersion: string): string {
  const [major, minor] = kubernetesVersion.replace(/^v/, "").split(".");
  const flags = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${kubernetesVersion}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
  ]);
  return ["-s", "-w", ...flags].join(" ");
}

export async function goModCachePath(modulePath: string, version: string): Promise<string> {
  const gomodcache = (await must("go env GOMODCACHE", GO_HINT, sh(30_000, { env: goEnv() })`go env GOMODCACHE`)).trim();
  const escaped = modulePath.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
  return path.join(gomodcache, `${escaped}@${version}`);
}

/** Downloads a module into the module cache (no build) and returns its directory. */
export async function downloadModule(modulePath: string, version: string): Promise<string> {
  const out = await must(
    `go mod download ${modulePath}@${version}`,
    GO_HINT,
    sh(10 * 60_000, { env: goEnv({ GOFLAGS: "" }) })`go mod download -json ${`${modulePath}@${version}`}`,
  );
  return (JSON.parse(out) as { Dir: string }).Dir;
}

export const kindBinary: GoArtifact = {
  name: "kind",
  version: versions.kind,
  outputs: ["kind"],
  inputs: [],
  build: (outDir) => goInstall(outDir, [`sigs.k8s.io/kind@${versions.kind}`]),
};

export const kubeNodeBinary: GoArtifact = {
  name: "kube-node",
  version: versions.kubernetes,
  outputs: ["kube-node"],
  inputs: ["go.mod", "go.sum", "main.go", "tools.go"].map((file) => ({ file: path.join(KUBE_NODE_MODULE, file) })),
  async build(outDir) {
    await must(
      "go build (kube-node: kubelet, kubeadm, kubectl, kube-proxy, control plane, etcd)",
      GO_HINT,
      sh(GO_BUILD_TIMEOUT_MS, { cwd: KUBE_NODE_MODULE, env: goEnv() })`go build -trimpath -ldflags ${kubeVersionLdflags(versions.kubernetes)} -o ${path.join(outDir, "kube-node")} .`,
    );
  },
};

export const cniPluginBinaries: GoArtifact = {
  name: "cni-plugins",
  version: versions.cniPlugins,
  outputs: CNI_PLUGINS.map((plugin) => path.basename(plugin)),
  inputs: [CNI_PLUGINS.join(",")],
  build: (outDir) =>
    goInstall(
      outDir,
      CNI_PLUGINS.map((plugin) => `github.com/containernetworking/plugins/plugins/${plugin}@${versions.cniPlugins}`),
      { CGO_ENABLED: "0" },
    ),
};

export const crictlBinary: GoArtifact = {
  name: "crictl",
  version: versions.criTools,
  outputs: ["crictl"],
  inputs: [],
  build: (outDir) => goInstall(outDir, [`sigs.k8s.io/cri-tools/cmd/crictl@${versions.criTools}`], { CGO_ENABLED: "0" }),
};

export const corednsBinary: GoArtifact = {
  name: "coredns",
  version: versions.coredns,
  outputs: ["coredns"],
  inputs: [],
  build: (outDir) => goInstall(outDir, [`github.com/coredns/coredns@${versions.coredns}`], { CGO_ENABLED: "0" }),
};

/** kubeadm's sandbox image is built from the C source the k8s.io/kubernetes module ships (build/pause). */
export const pauseBinary: GoArtifact = {
  name: "pause",
  version: versions.pause,
  outputs: ["pause"],
  inputs: [],
  async build(outDir) {
    const kubernetes = await downloadModule("k8s.io/kubernetes", versions.kubernetes);
    await must(
      "cc pause.c",
      "install a C compiler with a static libc (apt-get install gcc libc6-dev)",
      sh(5 * 60_000)`cc -Os -Wall -Werror -static -DVERSION=${versions.pause} -o ${path.join(outDir, "pause")} ${path.join(kubernetes, "build", "pause", "linux", "pause.c")}`,
    );
  },
};

export interface LocatedArtifact {
  artifact: GoArtifact;
  dir: string;
}

export async function locateGoArtifact(artifact: GoArtifact): Promise<LocatedArtifact> {
  const key = artifact.inputs.length === 0 ? `${artifact.name}-${artifact.version}` : artifactKey(artifact.name, artifact.version, await hashInputs(artifact.inputs));
  return { artifact, dir: path.join(cacheDir(), key) };
}

export async function isGoArtifactBuilt({ artifact, dir }: LocatedArtifact): Promise<boolean> {
  if (!(await exists(path.join(dir, ".built.json")))) return false;
  for (const output of artifact.outputs) if (!(await exists(path.join(dir, output)))) return false;
  return true;
}

export async function buildGoArtifact({ artifact, dir }: LocatedArtifact): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await buildDirectory(dir, (partial) => artifact.build(partial));
}
