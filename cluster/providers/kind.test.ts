/**
 * The kind provider without Docker: every kind/kubectl/docker command goes through a scripted runner, so
 * these tests pin the exact command lines, their order, what is piped to kubectl, the files written to the
 * state dir and the errors users see.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { labDescriptionSchema } from "../provider.ts";
import versions from "../versions.json" with { type: "json" };
import { LAB_IMAGES } from "../images.ts";
import { appliedObjects } from "../testing/fake-command-runner.ts";
import { type KindTestDeps, freshKindDeps, healthyRunner } from "../testing/kind-provider-fixture.ts";
import { createProvider } from "./kind.ts";

let tmp: string;
let deps: KindTestDeps;
let logLines: string[];

beforeEach(() => {
  ({ tmp, deps, logLines } = freshKindDeps());
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
