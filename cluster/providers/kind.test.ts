/**
 * The kind provider without Docker: every kind/kubectl/docker command goes through a scripted runner, so
 * these tests pin the exact command lines, their order, what is piped to kubectl, the files written to the
 * state dir and the errors users see.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { labDescriptionSchema } from "../provider.ts";
import versions from "../versions.json" with { type: "json" };
import { LAB_IMAGES } from "../images.ts";
import { FakeCommandRunner, appliedObjects } from "../kind/fake-command-runner.ts";
import type { Clock } from "../kind/wait.ts";
import { type KindProviderDeps, createProvider } from "./kind.ts";

const STRIMZI_INSTALL = [
  "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: strimzi-cluster-operator",
  "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: strimzi-cluster-operator\nsubjects:\n  - kind: ServiceAccount\n    name: strimzi-cluster-operator\n    namespace: myproject\nroleRef:\n  kind: ClusterRole\n  name: strimzi-cluster-operator-namespaced\n  apiGroup: rbac.authorization.k8s.io",
  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: kafkas.kafka.strimzi.io\nspec:\n  group: kafka.strimzi.io",
  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: strimzi-cluster-operator\nspec:\n  replicas: 1",
].join("\n---\n");
const ARGO_INSTALL = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: argo-rollouts\n";

function fakeClock(): Clock & { advanced: number } {
  const clock = {
    advanced: 0,
    now: () => 1_700_000_000_000 + clock.advanced,
    sleep: async (ms: number) => {
      clock.advanced += ms;
    },
  };
  return clock;
}

function toxiproxyFetch(toxics: Record<string, { name: string }[]> = {}): typeof fetch {
  return (async (url: string | URL | Request) => {
    const proxies = Object.fromEntries(
      [1, 2, 3].map((id) => [`kafka-broker-${id}`, { name: `kafka-broker-${id}`, listen: `0.0.0.0:2909${id}`, upstream: "x", enabled: true, toxics: toxics[`kafka-broker-${id}`] ?? [] }]),
    );
    if (String(url).endsWith("/proxies")) return new Response(JSON.stringify(proxies), { status: 200 });
    return new Response("not found", { status: 404 });
  }) as typeof fetch;
}

/** A runner scripted like a healthy machine with Docker, kind and kubectl, and no kind cluster yet. */
function healthyRunner(): FakeCommandRunner {
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

let tmp: string;
let deps: Partial<KindProviderDeps> & { stateDir: string; repoRoot: string };
let logLines: string[];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kind-provider-"));
  const repoRoot = path.join(tmp, "repo");
  for (const image of LAB_IMAGES) {
    fs.mkdirSync(path.dirname(path.join(repoRoot, image.dockerfile)), { recursive: true });
    fs.writeFileSync(path.join(repoRoot, image.dockerfile), "FROM scratch\n");
  }
  logLines = [];
  deps = {
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
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("kind provider: up on a machine with Docker", () => {
  it("runs kind, kubectl and docker in this order, with these arguments", async () => {
    const runner = healthyRunner();
    await createProvider({ ...deps, runner: runner.run }).up();
    const state = deps.stateDir;
    const repo = deps.repoRoot;
    const lines = runner.lines().filter((line) => !line.startsWith("kubectl get kafkas") && !line.startsWith("kubectl get pods"));
    expect(lines).toEqual([
      'docker info --format "{{.ServerVersion}}"',
      "kind version",
      "kubectl version --client -o json",
      "kind get clusters",
      `kind create cluster --name chaoslab --config ${state}/kind-config.yaml --kubeconfig ${state}/kubeconfig --wait 180s`,
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab --namespace kafka -f -",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab --namespace argo-rollouts -f -",
      "kubectl wait --for=condition=Established --timeout=120s crd/kafkas.kafka.strimzi.io crd/kafkanodepools.kafka.strimzi.io crd/kafkatopics.kafka.strimzi.io crd/strimzipodsets.core.strimzi.io crd/rollouts.argoproj.io crd/analysistemplates.argoproj.io crd/analysisruns.argoproj.io",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl rollout status deployment/strimzi-cluster-operator --namespace kafka --timeout=600s",
      "kubectl rollout status deployment/argo-rollouts --namespace argo-rollouts --timeout=600s",
      ...LAB_IMAGES.flatMap((image) => [
        `docker build --file ${repo}/${image.dockerfile} --tag ${image.repository}:dev --build-arg ENTRY=${image.entry} --build-arg IMAGE_TAG=dev ${repo}`,
        `docker build --tag ${image.repository}:v2 -`,
      ]),
      `kind load docker-image --name chaoslab ${LAB_IMAGES.flatMap((image) => [`${image.repository}:dev`, `${image.repository}:v2`]).join(" ")}`,
      "kubectl rollout status deployment/kafka-proxy --namespace kafka --timeout=600s",
      "kubectl get kafkanodepools.kafka.strimzi.io dual-role --namespace kafka -o json",
      "kubectl wait --for=condition=Ready --timeout=240s --namespace kafka kafkatopics.kafka.strimzi.io/queue-events kafkatopics.kafka.strimzi.io/loader-data kafkatopics.kafka.strimzi.io/loader-ledger",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl version -o json",
    ]);
    // Every kubectl call is pinned to the lab's kubeconfig, never the user's current context.
    for (const call of runner.calls.filter((spec) => spec.command === "kubectl" && !spec.args.includes("--client"))) {
      expect(call.args.slice(0, 2)).toEqual(["--kubeconfig", `${state}/kubeconfig`]);
    }
  });

  it("pipes the right manifests to kubectl: Strimzi retargeted to kafka, versions injected, the ConfigMap's bootstraps", async () => {
    const runner = healthyRunner();
    await createProvider({ ...deps, runner: runner.run }).up();
    const applied = runner.calls
      .filter((spec) => spec.args.includes("apply"))
      .map((spec) => appliedObjects(spec.input!));
    const [namespaces, strimzi, argo, kafka, topics, toxiproxy, configMap] = applied;
    expect(namespaces!.map((object) => object.metadata.name)).toEqual(["streamforge", "kafka", "argo-rollouts"]);
    expect(strimzi!.find((object) => object.kind === "RoleBinding")!.subjects[0].namespace).toBe("kafka");
    expect(argo!.map((object) => object.kind)).toEqual(["ServiceAccount"]);
    expect(kafka!.find((object) => object.kind === "Kafka")!.spec.kafka.version).toBe(versions.kafka);
    expect(topics!.map((object) => object.metadata.name)).toEqual(["queue-events", "loader-data", "loader-ledger"]);
    expect(toxiproxy!.find((object) => object.kind === "Deployment")!.spec.template.spec.containers[0].image).toBe(`ghcr.io/shopify/toxiproxy:${versions.toxiproxy.slice(1)}`);
    expect(configMap).toEqual([
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "streamforge-kafka", namespace: "streamforge", labels: { "app.kubernetes.io/part-of": "streamforge-chaoslab" } },
        data: {
          workloads: "kafka-proxy.kafka.svc:29091,kafka-proxy.kafka.svc:29092,kafka-proxy.kafka.svc:29093",
          instruments: "chaoslab-kafka-bootstrap.kafka.svc:9092",
        },
      },
    ]);
    const derived = runner.calls.find((spec) => spec.args.includes("chaoslab/loader:v2"))!;
    expect(derived.input).toBe("FROM chaoslab/loader:dev\nENV IMAGE_TAG=v2\n");
  });

  it("writes the rendered kind config, the kubeconfig and a valid lab.json to the state dir", async () => {
    const runner = healthyRunner();
    const lab = await createProvider({ ...deps, runner: runner.run }).up();
    const kindConfig = parse(fs.readFileSync(path.join(deps.stateDir, "kind-config.yaml"), "utf8")) as { nodes: { image: string }[] };
    expect(kindConfig.nodes.map((node) => node.image)).toEqual(Array(3).fill(versions.kindNodeImage));
    const written = labDescriptionSchema.parse(JSON.parse(fs.readFileSync(path.join(deps.stateDir, "lab.json"), "utf8")));
    expect(written).toEqual(lab.description);
    expect(written).toMatchObject({
      provider: "kind",
      kubeconfig: path.join(deps.stateDir, "kubeconfig"),
      apiServer: "https://127.0.0.1:41234",
      kafka: { bootstrapDirect: ["127.0.0.1:30090"], nodeIds: [1, 2, 3] },
      toxiproxy: { api: "http://127.0.0.1:30474" },
      namespaces: ["streamforge", "kafka", "argo-rollouts"],
      versions: { kubernetesServer: "v1.34.0", strimzi: versions.strimzi, kafka: versions.kafka, kind: versions.kind },
    });
  });

  it("says what it is doing and waiting for", async () => {
    const runner = healthyRunner();
    await createProvider({ ...deps, runner: runner.run }).up();
    expect(logLines).toEqual(
      expect.arrayContaining([
        "kind: checking docker, kind and kubectl …",
        "  docker engine 28.2.2",
        `kind: Strimzi ${versions.strimzi} operator (namespace kafka) …`,
        `  downloaded https://github.com/strimzi/strimzi-kafka-operator/releases/download/${versions.strimzi}/strimzi-cluster-operator-${versions.strimzi}.yaml`,
        "  waiting for deployment kafka/strimzi-cluster-operator",
        "kind: Kafka kafka/chaoslab Ready — done in 10s",
      ]),
    );
    expect(logLines.at(-1)).toMatch(/^kind: lab is up — kubeconfig .*kubeconfig, Kafka \(host\) 127\.0\.0\.1:30090/);
  });

  it("reuses an existing chaoslab cluster: no create, kubeconfig from kind, port mappings checked", async () => {
    const runner = healthyRunner()
      .on("kind get clusters", { stdout: "other\nchaoslab\n" })
      .on("kind get kubeconfig --name chaoslab", { stdout: "apiVersion: v1\nclusters:\n  - cluster:\n      server: https://127.0.0.1:40000\n" })
      .on("docker port chaoslab-control-plane", {
        stdout: ["30090/tcp -> 127.0.0.1:30090", "30091/tcp -> 127.0.0.1:30091", "30092/tcp -> 127.0.0.1:30092", "30093/tcp -> 127.0.0.1:30093", "30474/tcp -> 127.0.0.1:30474", "30491/tcp -> 127.0.0.1:30491", "30492/tcp -> 127.0.0.1:30492", "30493/tcp -> 127.0.0.1:30493", "6443/tcp -> 127.0.0.1:40000"].join("\n"),
      });
    const lab = await createProvider({ ...deps, runner: runner.run }).up();
    expect(runner.lines().some((line) => line.startsWith("kind create"))).toBe(false);
    expect(runner.lines().slice(3, 6)).toEqual(["kind get clusters", "kind get kubeconfig --name chaoslab", "docker port chaoslab-control-plane"]);
    expect(lab.description.apiServer).toBe("https://127.0.0.1:40000");
    expect(logLines).toContain("  reusing the existing kind cluster chaoslab");
  });
});

describe("kind provider: errors say what failed, where, and what to do", () => {
  it("no Docker engine", async () => {
    const runner = healthyRunner().on("docker info", { exitCode: 1, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(
      /reach the Docker engine with the docker CLI failed: `docker info --format "\{\{.ServerVersion\}\}"` exited with code 1:\nCannot connect to the Docker daemon[\s\S]*What to do: start Docker .* or use the embedded lab: CLUSTER=sim/,
    );
    expect(runner.lines()).toEqual(['docker info --format "{{.ServerVersion}}"']);
  });

  it("kind not installed", async () => {
    const runner = healthyRunner().on("kind version", { exitCode: 127, stderr: "bash: kind: command not found" });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(
      new RegExp(`kind is not usable \\(\`kind version\` not found on PATH\\)\\.\\nWhat to do: install kind ${versions.kind} — \`go install sigs\\.k8s\\.io/kind@${versions.kind}\``),
    );
  });

  it("a kind version other than the pinned one is a warning, not an error", async () => {
    const runner = healthyRunner().on("kind version", { stdout: "kind v0.29.0 go1.24 linux/amd64" });
    await createProvider({ ...deps, runner: runner.run }).up();
    expect(logLines.some((line) => line.includes(`warning: kind v0.29.0 found, the lab is pinned to ${versions.kind}`))).toBe(true);
  });

  it("missing Dockerfiles are named before anything is created", async () => {
    fs.rmSync(path.join(deps.repoRoot, "healer"), { recursive: true });
    const runner = healthyRunner();
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(/lab image Dockerfiles missing: healer\/Dockerfile/);
    expect(runner.lines().some((line) => line.startsWith("kind create"))).toBe(false);
  });

  it("a reused cluster without the lab's port mappings must be recreated", async () => {
    const runner = healthyRunner()
      .on("kind get clusters", { stdout: "chaoslab\n" })
      .on("kind get kubeconfig", { stdout: "apiVersion: v1\n" })
      .on("docker port chaoslab-control-plane", { stdout: "6443/tcp -> 127.0.0.1:40000\n" });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(
      /does not publish host ports 30090, 30091, 30092, 30093, 30474, 30491, 30492, 30493[\s\S]*What to do: `kind delete cluster --name chaoslab` and run lab up again/,
    );
  });

  it("Kafka that never gets Ready: the last condition and where to look", async () => {
    const runner = healthyRunner().on("kubectl get kafkas.kafka.strimzi.io chaoslab", {
      stdout: JSON.stringify({ status: { conditions: [{ type: "Ready", status: "False", reason: "ReconciliationFailed", message: "pods not ready" }] } }),
    });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(
      /Kafka kafka\/chaoslab is not Ready after 20m00s \(last seen: Ready=False \(ReconciliationFailed\); chaoslab-dual-role-1=Pending\)\.\nWhat to do: `kubectl --kubeconfig .* -n kafka describe kafka chaoslab`/,
    );
    expect(logLines.some((line) => line.startsWith("  … waiting for Kafka kafka/chaoslab (30s): Ready=False (ReconciliationFailed)"))).toBe(true);
  });

  it("Kafka rejected by the operator fails at once", async () => {
    const runner = healthyRunner().on("kubectl get kafkas.kafka.strimzi.io chaoslab", {
      stdout: JSON.stringify({ status: { conditions: [{ type: "Ready", status: "False", reason: "InvalidResourceException", message: "bad listener" }] } }),
    });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(/rejected by the Strimzi operator: InvalidResourceException: bad listener\nWhat to do: fix cluster\/manifests\/kind\/kafka.yaml/);
  });

  it("node ids other than the manifests' are caught", async () => {
    const runner = healthyRunner().on("kubectl get kafkanodepools.kafka.strimzi.io dual-role", { stdout: JSON.stringify({ status: { nodeIds: [0, 1, 2] } }) });
    await expect(createProvider({ ...deps, runner: runner.run }).up()).rejects.toThrow(/has node ids \[0, 1, 2\], the lab's manifests expect \[1, 2, 3\]/);
  });

  it("a host port that does not answer", async () => {
    const runner = healthyRunner();
    await expect(createProvider({ ...deps, runner: runner.run, tcpProbe: async () => false }).up()).rejects.toThrow(
      /Kafka's host listener 127\.0\.0\.1:30090 does not accept connections\.\nWhat to do: check `docker port chaoslab-control-plane` lists 30090/,
    );
  });

  it("a failing download names the URL and the cache file to fill by hand", async () => {
    const runner = healthyRunner();
    const download = async (url: string) => {
      throw new Error(`download ${url} failed: getaddrinfo ENOTFOUND github.com`);
    };
    await expect(createProvider({ ...deps, runner: runner.run, download }).up()).rejects.toThrow(
      new RegExp(`ENOTFOUND github.com\\nWhat to do: .* put it at .*strimzi-cluster-operator-${versions.strimzi}\\.yaml`),
    );
  });
});

describe("kind provider: attach and down", () => {
  it("attach finds nothing without lab.json, and the running lab with it", async () => {
    const runner = healthyRunner();
    const provider = createProvider({ ...deps, runner: runner.run });
    expect(await provider.attach()).toBeUndefined();
    await provider.up();
    runner.on("kind get clusters", { stdout: "chaoslab\n" });
    const attached = await provider.attach();
    expect(attached?.description.provider).toBe("kind");
    const callsBefore = runner.calls.length;
    const again = await provider.up();
    expect(again.description).toEqual(attached!.description);
    expect(runner.lines().slice(callsBefore)).toEqual(["kind get clusters", "kubectl get --raw /readyz"]);
    expect(logLines.at(-1)).toMatch(/^kind: the lab is already up .*; attaching/);
    runner.on("kind get clusters", { stdout: "" });
    expect(await provider.attach()).toBeUndefined();
    runner.on("kind get clusters", { exitCode: 1, stderr: "Cannot connect to the Docker daemon" });
    expect(await provider.attach()).toBeUndefined();
  });

  it("down deletes the cluster and the lab's state", async () => {
    const runner = healthyRunner();
    const lab = await createProvider({ ...deps, runner: runner.run }).up();
    await lab.down();
    // kind keeps its `kind` network for later clusters; the lab removes it so nothing is left behind.
    expect(runner.lines().slice(-2)).toEqual(["kind delete cluster --name chaoslab", "docker network rm kind"]);
    expect(fs.existsSync(path.join(deps.stateDir, "lab.json"))).toBe(false);
    expect(fs.existsSync(path.join(deps.stateDir, "kubeconfig"))).toBe(false);
  });

  it("removeLeftovers deletes a cluster a failed up left without lab.json, and reports when there is none", async () => {
    const runner = healthyRunner().on("kind get clusters", { stdout: "" });
    const provider = createProvider({ ...deps, runner: runner.run });
    expect(await provider.removeLeftovers()).toBe(false);
    expect(runner.lines()).not.toContain("kind delete cluster --name chaoslab");
    runner.on("kind get clusters", { stdout: "chaoslab\n" });
    expect(await provider.removeLeftovers()).toBe(true);
    expect(runner.lines().slice(-2)).toEqual(["kind delete cluster --name chaoslab", "docker network rm kind"]);
  });

  it("status reports each component", async () => {
    const runner = healthyRunner()
      .on("kubectl get deployment", { stdout: JSON.stringify({ spec: { replicas: 1 }, status: { availableReplicas: 1 } }) })
      .on("kubectl get strimzipodsets.core.strimzi.io", {
        stdout: JSON.stringify({ items: [{ metadata: { name: "chaoslab-dual-role" }, spec: { pods: [1, 2, 3].map((id) => ({ metadata: { name: `chaoslab-dual-role-${id}` } })) } }] }),
      })
      .on("kubectl get pods --namespace kafka --selector strimzi.io/cluster=chaoslab", {
        stdout: JSON.stringify({
          items: [1, 2].map((id) => ({ metadata: { name: `chaoslab-dual-role-${id}`, uid: `u${id}` }, status: { phase: "Running", containerStatuses: [{ name: "kafka", state: { running: {} } }] } })),
        }),
      });
    const lab = await createProvider({ ...deps, runner: runner.run }).up();
    const status = await lab.status();
    expect(status).toMatchObject({
      "kube-apiserver": { healthy: true },
      "strimzi-operator": { healthy: true, detail: "1/1 available" },
      "argo-rollouts": { healthy: true },
      toxiproxy: { healthy: true },
      kafka: { healthy: true },
      "toxiproxy-api": { healthy: true, detail: "proxies: kafka-broker-1, kafka-broker-2, kafka-broker-3" },
      "kafka-brokers": { healthy: false, detail: "not running: 3" },
    });
  });
});

describe("kind provider: the air-gapped images (lab setup --provider kind --offline)", () => {
  const BIN = "/cache/kind-offline-bin";
  const build = {
    kindBinary: "/cache/kind-v0.32.0/kind",
    kubeNode: "/cache/kube-node/kube-node",
    nodeImage: "chaoslab/kind-node:v1.34.4-abc",
    componentBaseImage: "chaoslab/kind-component-base:bookworm-def",
    labImages: ["chaoslab/loader:dev", "quay.io/argoproj/argo-rollouts:v1.9.1", "chaoslab/kafka:4.3.1-123"],
    kafkaImage: "chaoslab/kafka:4.3.1-123",
    binDir: BIN,
    argoRolloutsInstall: "/cache/kind-manifests/argo.yaml",
    etcdImageTag: "3.6.4-0",
    kubernetesVersion: "v1.34.4",
    steps: [],
  };
  const offline = { kind: "offline" as const, why: "air-gapped images built (test)", build };

  function offlineRunner(): FakeCommandRunner {
    return new FakeCommandRunner()
      .on("docker info", { stdout: "20.10.24\n" })
      .on(`${BIN}/kind version`, { stdout: `kind ${versions.kind} go1.26 linux/amd64\n` })
      .on(`${BIN}/kind get clusters`, { stdout: "" })
      .on("docker images", { stdout: `${[build.nodeImage, ...build.labImages].join("\n")}\n` })
      .on(`${BIN}/kind create cluster`, (spec) => {
        fs.writeFileSync(spec.args[spec.args.indexOf("--kubeconfig") + 1]!, "clusters:\n  - cluster:\n      server: https://127.0.0.1:41235\n");
        return {};
      })
      .on(`${BIN}/kubectl version -o json`, { stdout: JSON.stringify({ serverVersion: { gitVersion: "v1.34.4" } }) });
  }

  function offlineDeps(runner: FakeCommandRunner, topics: number[] = [1, 2, 3]) {
    fs.mkdirSync(deps.cacheDir!, { recursive: true });
    fs.writeFileSync(path.join(deps.cacheDir!, `argo-rollouts-${versions.argoRollouts}-install.yaml`), ARGO_INSTALL);
    return {
      ...deps,
      runner: runner.run,
      imageMode: offline,
      ensureTopics: async () => topics,
      download: async () => {
        throw new Error("nothing is downloaded offline");
      },
    };
  }

  it("creates one node from the built image, runs Kafka as a StatefulSet, loads the built images and downloads nothing", async () => {
    const runner = offlineRunner();
    const lab = await createProvider(offlineDeps(runner)).up();
    const lines = runner.lines();
    expect(lines.filter((line) => /^(kind|kubectl) /.test(line))).toEqual([]); // every kind/kubectl call is the build's
    expect(lines).toEqual(
      expect.arrayContaining([
        `docker run --rm --privileged --entrypoint true ${build.componentBaseImage}`,
        `${BIN}/kind create cluster --name chaoslab --config ${deps.stateDir}/kind-config.yaml --kubeconfig ${deps.stateDir}/kubeconfig --wait 180s`,
        "/cache/kind-offline-bin/kubectl wait --for=condition=Established --timeout=120s crd/rollouts.argoproj.io crd/analysistemplates.argoproj.io crd/analysisruns.argoproj.io",
        `${BIN}/kind load docker-image --name chaoslab ${build.labImages.join(" ")}`,
        `${BIN}/kubectl rollout status statefulset/chaoslab-dual-role --namespace kafka --timeout=600s`,
      ]),
    );
    expect(lines.some((line) => line.includes("strimzi") || line.startsWith("docker build"))).toBe(false);
    // Offline, nothing may reference an image before it is on the node: a kubelet would back off for minutes.
    const loadAt = lines.findIndex((line) => line.includes("kind load docker-image"));
    const firstApply = lines.findIndex((line) => / apply /.test(line));
    expect(loadAt).toBeGreaterThan(lines.findIndex((line) => line.includes("kind create cluster")));
    expect(loadAt).toBeLessThan(firstApply);
    const kindConfig = parse(fs.readFileSync(path.join(deps.stateDir, "kind-config.yaml"), "utf8")) as {
      nodes: { image: string; extraPortMappings: { hostPort: number }[] }[];
      networking: { disableDefaultCNI: boolean };
    };
    expect(kindConfig.nodes).toHaveLength(1);
    expect(kindConfig.nodes[0]!.image).toBe(build.nodeImage);
    expect(kindConfig.nodes[0]!.extraPortMappings.map((mapping) => mapping.hostPort)).toEqual([30090, 30091, 30092, 30093, 30474, 30491, 30492, 30493]);
    expect(kindConfig.networking.disableDefaultCNI).toBe(true);
    const applied = runner.calls.filter((spec) => spec.args.includes("apply")).map((spec) => appliedObjects(spec.input!));
    const statefulSet = applied.flat().find((object) => object.kind === "StatefulSet")!;
    expect(statefulSet.spec.template.spec.containers[0].image).toBe(build.kafkaImage);
    expect(lab.description.kafka.brokers).toEqual({ kind: "statefulset", namespace: "kafka", selector: "app.kubernetes.io/name=kafka,app.kubernetes.io/instance=chaoslab", firstNodeId: 0 });
    expect(lab.description.versions).toMatchObject({ kindNodeImage: build.nodeImage, kafkaOperator: expect.stringContaining("StatefulSet") });
    expect(lab.description.versions.strimzi).toBeUndefined();
  });

  it("an image missing from the engine is named, with the command that builds it", async () => {
    const runner = offlineRunner().on("docker images", { stdout: `${build.nodeImage}\nchaoslab/loader:dev\n` });
    await expect(createProvider(offlineDeps(runner)).up()).rejects.toThrow(
      /needs 2 image\(s\) the Docker engine does not have: quay\.io\/argoproj\/argo-rollouts:v1\.9\.1, chaoslab\/kafka:4\.3\.1-123[\s\S]*What to do: build them again: make kind-offline-setup/,
    );
    expect(runner.lines().some((line) => line.includes("create cluster"))).toBe(false);
  });

  it("an engine that refuses privileged containers is named, with the runtime shim as the fix", async () => {
    const runner = offlineRunner().on("docker run --rm --privileged", { exitCode: 125, stderr: "docker: Error response from daemon: OCI runtime create failed: unable to apply caps: operation not permitted" });
    await expect(createProvider(offlineDeps(runner)).up()).rejects.toThrow(/refuses privileged containers[\s\S]*unable to apply caps[\s\S]*docker-host\.sh/);
  });

  it("a taken host port is named before kind creates anything", async () => {
    const runner = offlineRunner();
    await expect(createProvider({ ...offlineDeps(runner), portFree: async (port: number) => port !== 30474 }).up()).rejects.toThrow(
      /host port\(s\) 30474 on 127\.0\.0\.1 are in use[\s\S]*What to do: stop what listens there/,
    );
    expect(runner.lines().some((line) => line.includes("create cluster"))).toBe(false);
  });

  it("CHAOSLAB_KIND_OFFLINE=1 without a build says how to make one", async () => {
    const runner = offlineRunner();
    const missing = { kind: "offline-missing" as const, why: "CHAOSLAB_KIND_OFFLINE=1 but /c/kind-offline.json does not exist" };
    await expect(createProvider({ ...offlineDeps(runner), imageMode: missing }).up()).rejects.toThrow(
      /the air-gapped kind images are not built: CHAOSLAB_KIND_OFFLINE=1 but \/c\/kind-offline\.json does not exist\.\nWhat to do: make kind-offline-setup/,
    );
  });

  it("Kafka reporting other node ids than the manifests' is caught", async () => {
    const runner = offlineRunner();
    await expect(createProvider(offlineDeps(runner, [0, 1, 2])).up()).rejects.toThrow(/has node ids \[0, 1, 2\], the lab's manifests expect \[1, 2, 3\]/);
  });
});
