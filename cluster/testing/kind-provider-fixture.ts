/**
 * What the kind provider's unit tests share: a runner scripted like a healthy machine with Docker, kind
 * and kubectl, a clock that only moves when slept on, a fake Toxiproxy API, and fresh deps (state dir,
 * a repo with the lab's Dockerfiles, downloads served from memory) per test.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import versions from "../versions.json" with { type: "json" };
import { LAB_IMAGES } from "../images.ts";
import { FakeCommandRunner } from "./fake-command-runner.ts";
import type { Clock } from "../kind/wait.ts";
import type { KindProviderDeps } from "../providers/kind.ts";

export const STRIMZI_INSTALL = [
  "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: strimzi-cluster-operator",
  "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: strimzi-cluster-operator\nsubjects:\n  - kind: ServiceAccount\n    name: strimzi-cluster-operator\n    namespace: myproject\nroleRef:\n  kind: ClusterRole\n  name: strimzi-cluster-operator-namespaced\n  apiGroup: rbac.authorization.k8s.io",
  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: kafkas.kafka.strimzi.io\nspec:\n  group: kafka.strimzi.io",
  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: strimzi-cluster-operator\nspec:\n  replicas: 1",
].join("\n---\n");
export const ARGO_INSTALL = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: argo-rollouts\n";

export function fakeClock(): Clock & { advanced: number } {
  const clock = {
    advanced: 0,
    now: () => 1_700_000_000_000 + clock.advanced,
    sleep: async (ms: number) => {
      clock.advanced += ms;
    },
  };
  return clock;
}

export function toxiproxyFetch(toxics: Record<string, { name: string }[]> = {}): typeof fetch {
  return (async (url: string | URL | Request) => {
    const proxies = Object.fromEntries(
      [1, 2, 3].map((id) => [`kafka-broker-${id}`, { name: `kafka-broker-${id}`, listen: `0.0.0.0:2909${id}`, upstream: "x", enabled: true, toxics: toxics[`kafka-broker-${id}`] ?? [] }]),
    );
    if (String(url).endsWith("/proxies")) return new Response(JSON.stringify(proxies), { status: 200 });
    return new Response("not found", { status: 404 });
  }) as typeof fetch;
}

/** A runner scripted like a healthy machine with Docker, kind and kubectl, and no kind cluster yet. */
export function healthyRunner(): FakeCommandRunner {
  let kafkaPolls = 0;
  return new FakeCommandRunner()
    .on("docker info", { stdout: "28.2.2\n" })
    .on("kind version", { stdout: `kind ${versions.kind} go1.24.0 linux/amd64\n` })
    .on("kubectl version --client", { stdout: "{}" })
    .on("kind get clusters", { stdout: "" })
    .on("kind create cluster", (spec) => {
      const kubeconfig = spec.args[spec.args.indexOf("--kubeconfig") + 1]!;
      fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n  - name: kind-chaoslab\n    cluster:\n      server: https://127.0.0.1:41234\n");
      return {};
    })
    .on("kubectl get kafkas.kafka.strimzi.io chaoslab", () => {
      kafkaPolls += 1;
      const ready = kafkaPolls >= 3;
      return { stdout: JSON.stringify({ status: { conditions: [ready ? { type: "Ready", status: "True" } : { type: "NotReady", status: "True", reason: "Creating" }] } }) };
    })
    .on("kubectl get pods --namespace kafka --selector strimzi.io/cluster=chaoslab", {
      stdout: JSON.stringify({ items: [{ metadata: { name: "chaoslab-dual-role-1" }, status: { phase: "Pending" } }] }),
    })
    .on("kubectl get kafkanodepools.kafka.strimzi.io dual-role", { stdout: JSON.stringify({ status: { nodeIds: [3, 1, 2] } }) })
    .on("kubectl version -o json", { stdout: JSON.stringify({ serverVersion: { gitVersion: "v1.34.0" } }) });
}

export type KindTestDeps = Partial<KindProviderDeps> & { stateDir: string; repoRoot: string };

/** A temporary dir holding the state dir, the cache and a repo with every lab Dockerfile; remove `tmp` after the test. */
export function freshKindDeps(): { tmp: string; deps: KindTestDeps; logLines: string[] } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kind-provider-"));
  const repoRoot = path.join(tmp, "repo");
  for (const image of LAB_IMAGES) {
    fs.mkdirSync(path.dirname(path.join(repoRoot, image.dockerfile)), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, image.dockerfile), "FROM scratch\n");
  }
  const logLines: string[] = [];
  const deps: KindTestDeps = {
    stateDir: path.join(tmp, "state"),
    cacheDir: path.join(tmp, "cache"),
    repoRoot,
    clock: fakeClock(),
    download: async (url) => (url.includes("strimzi") ? STRIMZI_INSTALL : ARGO_INSTALL),
    fetch: toxiproxyFetch(),
    tcpProbe: async () => true,
    portFree: async () => true,
    imageMode: { kind: "online", why: "no air-gapped build (test)" },
    imageTags: ["dev", "v2"],
    log: (line) => logLines.push(line),
  };
  return { tmp, deps, logLines };
}
