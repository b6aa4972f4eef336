import { describe, expect, it } from "vitest";
import { FakeCommandRunner } from "../testing/fake-command-runner.ts";
import { type DockerProbe, describePick, dockerEngineProbe, pickProvider, testcontainersProbe } from "./detect.ts";

const dockerAnswers: DockerProbe = async () => ({ reachable: true, detail: "engine 28.2.2 at /var/run/docker.sock", memoryBytes: 16 * 1024 ** 3 });
const noDocker: DockerProbe = async () => ({ reachable: false, detail: "Could not find a working container runtime strategy" });

const upstream = () => ({ kind: "online" as const, why: "no air-gapped build (/c/kind-offline.json)" });
const builtOffline = () => ({ kind: "offline" as const, why: "air-gapped images built", build: {} as never });
const registryAnswers = async () => ({ reachable: true, detail: "registry-1.docker.io answers" });
const registryRefused = async () => ({ reachable: false, detail: "registry-1.docker.io: getaddrinfo EAI_AGAIN" });
const online = { kindImages: upstream, registryProbe: registryAnswers };

describe("pickProvider", () => {
  it("picks kind when a Docker engine answers and kind's images can be pulled, and says so", async () => {
    const pick = await pickProvider({}, dockerAnswers, online);
    expect(pick).toMatchObject({ name: "kind", forced: false, warnings: [] });
    expect(describePick(pick)).toBe(
      "cluster provider: kind — a Docker engine answered (engine 28.2.2 at /var/run/docker.sock) and registry-1.docker.io answers; CLUSTER=sim forces the embedded lab",
    );
  });

  it("picks kind on the air-gapped images when they are built, without probing a registry", async () => {
    let probed = false;
    const pick = await pickProvider({}, dockerAnswers, { kindImages: builtOffline, registryProbe: async () => ((probed = true), { reachable: false, detail: "" }) });
    expect(pick).toMatchObject({ name: "kind", reason: expect.stringContaining("the air-gapped kind images are built") });
    expect(probed).toBe(false);
  });

  it("picks sim when Docker answers but nothing can be downloaded and no air-gapped build exists, and says how to build one", async () => {
    const pick = await pickProvider({}, dockerAnswers, { kindImages: upstream, registryProbe: registryRefused });
    expect(describePick(pick)).toBe(
      "cluster provider: sim — a Docker engine answered, but kind's images can be neither pulled (registry-1.docker.io: getaddrinfo EAI_AGAIN) " +
        "nor found built offline (no air-gapped build (/c/kind-offline.json)); make kind-offline-setup (node bin/chaoslab.mjs lab setup --provider kind --offline) " +
        "builds them from package registries; CLUSTER=kind forces kind",
    );
  });

  it("picks sim when no engine answers (or the probe itself fails), and says why", async () => {
    expect(describePick(await pickProvider({}, noDocker))).toBe(
      "cluster provider: sim — no Docker engine answered (Could not find a working container runtime strategy); CLUSTER=kind forces kind",
    );
    const throwing: DockerProbe = async () => {
      throw new Error("socket hang up");
    };
    expect(await pickProvider({ CLUSTER: "" }, throwing)).toMatchObject({ name: "sim", reason: expect.stringContaining("socket hang up") });
  });

  it("CLUSTER forces a provider without probing Docker", async () => {
    let probed = false;
    const probe: DockerProbe = async () => {
      probed = true;
      return { reachable: true, detail: "x" };
    };
    for (const name of ["kind", "sim", "existing"] as const) {
      expect(await pickProvider({ CLUSTER: name }, probe)).toEqual({ name, forced: true, reason: `forced by CLUSTER=${name}`, warnings: [] });
    }
    expect(await pickProvider({ CLUSTER: " sim " }, probe)).toMatchObject({ name: "sim" });
    expect(probed).toBe(false);
  });

  it("rejects an unknown CLUSTER value with the valid ones", async () => {
    await expect(pickProvider({ CLUSTER: "minikube" }, dockerAnswers)).rejects.toThrow(
      "CLUSTER=minikube is not a cluster provider. What to do: use one of kind, sim, existing, or unset CLUSTER to get kind when a Docker engine answers and sim otherwise.",
    );
  });

  it("warns when the engine has too little memory for the kind lab", async () => {
    const small: DockerProbe = async () => ({ reachable: true, detail: "x", memoryBytes: 4 * 1024 ** 3 });
    const pick = await pickProvider({}, small, online);
    expect(pick.name).toBe("kind");
    expect(pick.warnings).toEqual([expect.stringMatching(/^the Docker engine has 4\.0 GiB of memory; the kind lab wants at least 6\.0 GiB/)]);
  });
});

describe("dockerEngineProbe", () => {
  const testcontainersFindsNothing: DockerProbe = async () => ({ reachable: false, detail: "Could not find a working container runtime strategy" });

  it("answers from testcontainers when it finds an engine, without asking the docker CLI", async () => {
    const runner = new FakeCommandRunner();
    expect(await dockerEngineProbe(runner.run, dockerAnswers)()).toMatchObject({ reachable: true, detail: "engine 28.2.2 at /var/run/docker.sock" });
    expect(runner.lines()).toEqual([]);
  });

  it("falls back to the docker CLI (docker contexts) when testcontainers finds no engine", async () => {
    const runner = new FakeCommandRunner().on("docker info", { stdout: "28.2.2 8321499136\n" });
    expect(await dockerEngineProbe(runner.run, testcontainersFindsNothing)()).toEqual({ reachable: true, detail: "docker CLI: engine 28.2.2", memoryBytes: 8321499136 });
    expect(runner.lines()).toEqual(['docker info --format "{{.ServerVersion}} {{.MemTotal}}"']);
  });

  it("reports both reasons when neither answers", async () => {
    const runner = new FakeCommandRunner().on("docker info", { exitCode: 1, stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" });
    expect(await dockerEngineProbe(runner.run, testcontainersFindsNothing)()).toEqual({
      reachable: false,
      detail: "testcontainers: Could not find a working container runtime strategy; docker CLI: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    });
  });

  it("the real testcontainers probe answers, engine or not, and never throws", async () => {
    const result = await testcontainersProbe();
    expect(typeof result.reachable).toBe("boolean");
    expect(result.detail.length).toBeGreaterThan(0);
  });
});

describe("describePick", () => {
  it("says which provider and why in one line", async () => {
    const pick = await pickProvider({ CLUSTER: "kind" }, noDocker);
    expect(describePick(pick)).toBe("cluster provider: kind — forced by CLUSTER=kind");
  });
});
