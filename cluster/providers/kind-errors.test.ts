/**
 * The kind provider's errors, without Docker (a scripted runner): each says what failed, where, and
 * what to do.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import versions from "../versions.json" with { type: "json" };
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
