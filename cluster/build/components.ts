/**
 * The sim lab's upstream components and how each is built from a package registry into the cache.
 * One entry per component; `provision.ts` runs them. Versions come from cluster/versions.json only.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import versions from "../versions.json" with { type: "json" };
import { REPO_ROOT } from "../images.ts";

export type Toolchain = "go" | "java" | "mvn";

export interface BuildContext {
  /** Empty directory to build into; renamed to the cache entry when the build succeeds. */
  outDir: string;
  log: (line: string) => void;
}

export interface UpstreamComponent {
  name: string;
  /** Human-readable version; part of the cache key. */
  version: string;
  /** Files (relative to the cache entry) that must exist for the entry to count as built. */
  outputs: string[];
  toolchains: Toolchain[];
  build(context: BuildContext): Promise<void>;
}

const BUILD_DIR = path.join(REPO_ROOT, "cluster", "build");

/**
 * Go builds keep the machine's shared module and build caches (GOMODCACHE, GOCACHE), so a warm rebuild
 * relinks only. GOTOOLCHAIN=local: the machine's Go is the one we have; a module asking for a newer
 * toolchain must fail loudly rather than try to download one (no internet here).
 */
function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod -buildvcs=false", ...extra };
}

async function run(what: string, command: Promise<{ exitCode: number | null; stdout: string; stderr: string }>) {
  const result = await command;
  if (result.exitCode !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-30).join("\n");
    throw new Error(`${what} failed (exit ${result.exitCode}). Last output:\n${tail}`);
  }
  return result;
}

/** `go install <package>@<version>` into the component's dir: one binary, stripped, no VCS stamping. */
export async function goInstall(outDir: string, packagePath: string, version: string): Promise<void> {
  await run(
    `go install ${packagePath}@${version}`,
    $({ quiet: true, nothrow: true, env: goEnv({ GOBIN: outDir, GOFLAGS: "-buildvcs=false" }) })`go install -trimpath -ldflags=${"-s -w"} ${packagePath}@${version}`,
  );
}

async function hashFiles(files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) hash.update(await fs.readFile(file));
  return hash.digest("hex").slice(0, 10);
}

async function goModCachePath(modulePath: string, version: string): Promise<string> {
  const result = await run("go env GOMODCACHE", $({ quiet: true, nothrow: true, env: goEnv() })`go env GOMODCACHE`);
  // The module cache escapes upper-case letters as "!x".
  const escaped = modulePath.replace(/[A-Z]/g, (letter) => `!${letter.toLowerCase()}`);
  return path.join(result.stdout.trim(), `${escaped}@${version}`);
}

async function copyFromModule(source: string, target: string) {
  await fs.cp(source, target, { recursive: true });
  // Files in the Go module cache are read-only; copies must stay removable.
  await run("chmod", $({ quiet: true, nothrow: true })`chmod -R u+w ${target}`);
}

const kubeWrapperDir = path.join(BUILD_DIR, "kube");
const kubeWrapperFiles = ["go.mod", "go.sum", "main.go", "tools.go"].map((file) => path.join(kubeWrapperDir, file));

/**
 * kube-apiserver, kube-controller-manager, kube-scheduler and etcd as one multi-call binary, plus the
 * Argo Rollouts controller, all from one wrapper module so they share one module graph and build cache.
 */
export const kubeComponent: UpstreamComponent = {
  name: "kube",
  version: `${versions.kubernetes}+argo-rollouts-${versions.argoRollouts}+etcd-${versions.etcd}`,
  outputs: ["kube", "rollouts-controller", "crds/rollout-crd.yaml"],
  toolchains: ["go"],
  async build({ outDir, log }) {
    const kube = versions.kubernetes;
    const [major, minor] = kube.replace(/^v/, "").split(".");
    const versionFlags = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
      `-X ${pkg}.gitVersion=${kube}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
    ]);
    const ldflags = ["-s", "-w", ...versionFlags].join(" ");
    const env = goEnv();
    log("kube: compiling kube-apiserver, kube-controller-manager, kube-scheduler, etcd (one binary)");
    await run(
      "go build (kube multi-call binary)",
      $({ quiet: true, nothrow: true, cwd: kubeWrapperDir, env })`go build -trimpath -ldflags ${ldflags} -o ${path.join(outDir, "kube")} .`,
    );
    log("kube: compiling the Argo Rollouts controller");
    await run(
      "go build (rollouts-controller)",
      $({ quiet: true, nothrow: true, cwd: kubeWrapperDir, env })`go build -trimpath -ldflags ${"-s -w"} -o ${path.join(outDir, "rollouts-controller")} github.com/argoproj/argo-rollouts/cmd/rollouts-controller`,
    );
    const argoModule = await goModCachePath("github.com/argoproj/argo-rollouts", versions.argoRollouts);
    await copyFromModule(path.join(argoModule, "manifests", "crds"), path.join(outDir, "crds"));
  },
};

const kwokComponent: UpstreamComponent = {
  name: "kwok",
  version: versions.kwok,
  outputs: ["kwok", "stages/pod/fast/pod-ready.yaml", "stages/node/fast/node-initialize.yaml"],
  toolchains: ["go"],
  async build({ outDir }) {
    await goInstall(outDir, "sigs.k8s.io/kwok/cmd/kwok", versions.kwok);
    const kwokModule = await goModCachePath("sigs.k8s.io/kwok", versions.kwok);
    await copyFromModule(path.join(kwokModule, "kustomize", "stage"), path.join(outDir, "stages"));
  },
};

export const toxiproxyComponent: UpstreamComponent = {
  name: "toxiproxy",
  version: versions.toxiproxy,
  outputs: ["toxiproxy-server"],
  toolchains: ["go"],
  async build({ outDir }) {
    await goInstall(outDir, "github.com/Shopify/toxiproxy/v2/cmd/server", versions.toxiproxy);
    await fs.rename(path.join(outDir, "server"), path.join(outDir, "toxiproxy-server"));
  },
};

export const kafkaComponent: UpstreamComponent = {
  name: "kafka",
  version: `${versions.kafka}+log4j-${versions.log4j}`,
  outputs: ["libs/kafka_2.13-" + versions.kafka + ".jar"],
  toolchains: ["java", "mvn"],
  async build({ outDir }) {
    await run(
      "mvn dependency:copy-dependencies (Kafka)",
      $({ quiet: true, nothrow: true })`mvn -q -B -f ${path.join(BUILD_DIR, "kafka", "pom.xml")} -Dkafka.version=${versions.kafka} -Dlog4j.version=${versions.log4j} dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=${path.join(outDir, "libs")}`,
    );
  },
};

/** A tool that is one `go install`ed binary, named after the package's last path element. */
function goTool(name: string, packagePath: string, version: string): UpstreamComponent {
  return { name, version, outputs: [packagePath.split("/").at(-1)!], toolchains: ["go"], build: ({ outDir }) => goInstall(outDir, packagePath, version) };
}

/** k6 for the canary's load (cluster/tools/k6.ts hands it to every provider). */
export const k6Component = goTool("k6", "go.k6.io/k6", versions.k6);

/**
 * actionlint for the project's own tests (ci/actionlint.test.ts lints .github/workflows/); not part of the
 * lab, but built and cached the same way, so `make test` needs no other download channel.
 */
const actionlintComponent = goTool("actionlint", "github.com/rhysd/actionlint/cmd/actionlint", versions.actionlint);

export const LAB_COMPONENTS: readonly UpstreamComponent[] = [kafkaComponent, toxiproxyComponent, kwokComponent, kubeComponent, k6Component, actionlintComponent];

/** The cache key: name, version and (for the wrapper module) a hash of the files it is built from. */
export async function cacheKey(component: UpstreamComponent): Promise<string> {
  const safeVersion = component.version.replace(/[^A-Za-z0-9._+-]/g, "_");
  if (component === kubeComponent) return `kube-${safeVersion}-${await hashFiles(kubeWrapperFiles)}`;
  if (component === kafkaComponent) return `kafka-${safeVersion}-${await hashFiles([path.join(BUILD_DIR, "kafka", "pom.xml")])}`;
  return `${component.name}-${safeVersion}`;
}
