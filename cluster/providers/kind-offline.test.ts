/**
 * The kind provider on the air-gapped images (`lab setup --provider kind --offline`), without Docker:
 * one node of the built image, Kafka as a StatefulSet, the built images loaded, nothing downloaded.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import versions from "../versions.json" with { type: "json" };
import { FakeCommandRunner, appliedObjects } from "../testing/fake-command-runner.ts";
import { ARGO_INSTALL, type KindTestDeps, freshKindDeps } from "../testing/kind-provider-fixture.ts";
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

