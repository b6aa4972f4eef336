/**
 * The `kind` cluster provider: the full-fidelity lab on a real kind cluster — Strimzi Kafka (KRaft, 3 dual-role
 * nodes), Argo Rollouts, Toxiproxy in front of the brokers, and the lab's own images built with Docker.
 *
 * Why the kind CLI (through zx) and not testcontainers for the cluster itself:
 * - testcontainers-node has no kind module; starting kind's node images as GenericContainers would mean
 *   re-implementing kind (privileged nodes, kubeadm, CNI, storage, kubeconfig) — and kind is what users debug
 *   with anyway (`kind get clusters`, `kind export logs`);
 * - testcontainers reaps what it starts when the starting process exits (Ryuk), but the lab must outlive
 *   `lab up`: tests, the harness and `lab status` attach to it from other processes later.
 * testcontainers is used where it is strong: finding the Docker engine (DOCKER_HOST, ~/.testcontainers.properties,
 * rootless and Docker Desktop sockets) in detect.ts. Here, `docker info` is checked as well, because kind and
 * `docker build` talk to the engine through the docker CLI, whose context may differ from what testcontainers found.
 *
 * Every command goes through an injectable CommandRunner (kind.test.ts checks the exact command lines).
 */
import fs from "node:fs/promises";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { parse } from "yaml";
import { LAB_IMAGES, LAB_IMAGE_TAGS, REPO_ROOT } from "../images.ts";
import {
  type ClusterProvider,
  type ComponentHealth,
  type LabDescription,
  type LabDescriptionInput,
  type ServiceAccess,
  type StartedLab,
  type UpOptions,
  labDescriptionSchema,
} from "../provider.ts";
import { healthCollector } from "../component-health.ts";
import { readLabDescription } from "./registry.ts";
import pinnedVersions from "../versions.json" with { type: "json" };
import { COMMAND_NOT_FOUND, type CommandRunner, type CommandSpec, runOrThrow, withToolsFrom, zxCommandRunner } from "../kind/command-runner.ts";
import type { KindKafka } from "../kind/kind-kafka.ts";
import { rolloutStatus } from "../kind/kind-kafka.ts";
import { StrimziKafka } from "../kind/strimzi-kafka.ts";
import { type EnsureTopics, StatefulSetKafka } from "../kind/statefulset-kafka.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import { type OfflineKindBuild, offlineManifestPath } from "../kind/offline/build.ts";
import { type KindImageMode, OFFLINE_SETUP_COMMAND, kindImageMode } from "../kind/offline/mode.ts";
import { KIND_POD_SUBNET } from "../kind/offline/node-image.ts";
import { renderOfflineKindConfig } from "../kind/offline/node-config.ts";
import {
  ARGO_ROLLOUTS_DEPLOYMENT,
  KAFKA_CONFIGMAP,
  KIND_CLUSTER_NAME,
  KIND_CONTROL_PLANE_CONTAINER,
  STRIMZI_OPERATOR_DEPLOYMENT,
  TOXIPROXY_DEPLOYMENT,
  cachedManifestPaths,
  kindCacheDir,
  kindStateDir,
  publishedHostPorts,
  readKindConfigTemplate,
  releaseUrls,
  renderKindConfig,
} from "../kind/config.ts";
import { type Download, cachedDownload, httpDownload } from "../kind/download.ts";
import { Kubectl, deploymentHealth } from "../kind/kubectl.ts";
import { type PodBrokerHandles, StatefulSetBrokerHandles, StrimziBrokerHandles } from "../kind/strimzi-brokers.ts";
import type { Fetch } from "../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../network/toxiproxy-network.ts";
import { clusterEndpointSlices } from "../kube/endpoint-slices.ts";
import { loadKubeConfig } from "../kube/apply.ts";
import { serviceProxyUrl } from "../kube/service-forwarder.ts";
import { provideK6 } from "../tools/k6.ts";
import { type Clock, formatDuration, pollUntil, systemClock } from "../kind/wait.ts";
import { type KindLabManifests, type KindLabTopology, type KubeObject, type Versions, kindLabTopology, renderKindLabManifests } from "../manifests/kind-manifests.ts";

export type TcpProbe = (host: string, port: number, timeoutMs: number) => Promise<boolean>;
/** Whether nothing listens on 127.0.0.1:<port> (the host ports kind is about to publish). */
export type PortFree = (port: number) => Promise<boolean>;

export interface KindProviderDeps {
  runner: CommandRunner;
  download: Download;
  fetch: Fetch;
  tcpProbe: TcpProbe;
  portFree: PortFree;
  /** Air-gapped Kafka: creates the lab's topics through the admin API and returns the node ids. */
  ensureTopics: EnsureTopics;
  clock: Clock;
  stateDir: string;
  cacheDir: string;
  /** Build context of the lab images and where their Dockerfiles are looked up. */
  repoRoot: string;
  versions: Versions;
  /** Tags built for every lab image (the canary's manifests reference v1, v2, ...). */
  imageTags: readonly string[];
  /** Upstream images, or the ones `lab setup --provider kind --offline` built (cluster/kind/offline/mode.ts). */
  imageMode: KindImageMode;
  log: (line: string) => void;
}

const TIMEOUTS_MS = {
  probe: 30_000,
  createCluster: 15 * 60_000,
  deleteCluster: 5 * 60_000,
  dockerBuild: 20 * 60_000,
  kindLoad: 15 * 60_000,
  hostReachable: 60_000,
} as const;
const ARGO_ROLLOUTS_CRDS = ["rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"];

export function defaultKindDeps(): KindProviderDeps {
  return {
    runner: zxCommandRunner,
    download: httpDownload,
    fetch,
    tcpProbe,
    portFree: loopbackPortFree,
    ensureTopics: ensureLabTopics,
    clock: systemClock,
    stateDir: kindStateDir(),
    cacheDir: kindCacheDir(),
    repoRoot: REPO_ROOT,
    versions: pinnedVersions,
    imageTags: LAB_IMAGE_TAGS,
    imageMode: kindImageMode(),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

export function createProvider(overrides: Partial<KindProviderDeps> = {}): KindProvider {
  return new KindProvider({ ...defaultKindDeps(), ...overrides });
}

export function kindStatePaths(stateDir: string) {
  return {
    kubeconfig: path.join(stateDir, "kubeconfig"),
    kindConfig: path.join(stateDir, "kind-config.yaml"),
    labJson: path.join(stateDir, "lab.json"),
  };
}

export class KindProvider implements ClusterProvider {
  readonly name = "kind" as const;
  private readonly manifests: KindLabManifests;
  private readonly topology: KindLabTopology;
  private readonly paths: ReturnType<typeof kindStatePaths>;
  private readonly kubectl: Kubectl;
  /** deps.runner, with `kind` and `kubectl` resolved to the offline build's when the lab runs offline. */
  private readonly runner: CommandRunner;
  private readonly kafka: KindKafka;

  constructor(private readonly deps: KindProviderDeps) {
    this.manifests = renderKindLabManifests(deps.versions);
    this.topology = kindLabTopology(this.manifests);
    this.paths = kindStatePaths(deps.stateDir);
    const mode = deps.imageMode;
    this.runner = mode.kind === "offline" ? withToolsFrom(deps.runner, mode.build.binDir, ["kind", "kubectl"]) : deps.runner;
    this.kubectl = new Kubectl(this.runner, this.paths.kubeconfig);
    const context = { kubectl: this.kubectl, manifests: this.manifests, topology: this.topology, clock: deps.clock, kubeconfig: this.paths.kubeconfig };
    this.kafka =
      mode.kind === "offline"
        ? new StatefulSetKafka(context, mode.build.kafkaImage, deps.ensureTopics)
        : new StrimziKafka(context, { versions: deps.versions, cacheDir: deps.cacheDir, download: deps.download });
  }

  private get offlineBuild(): OfflineKindBuild | undefined {
    return this.deps.imageMode.kind === "offline" ? this.deps.imageMode.build : undefined;
  }

  async attach(): Promise<StartedLab | undefined> {
    const description = await readLabDescription(this.paths.labJson).catch(() => undefined);
    if (description?.provider !== "kind") return undefined;
    try {
      if (!(await this.clusterExists())) return undefined;
    } catch {
      return undefined; // Docker down or kind missing: whatever lab.json says, nothing to attach to
    }
    const readyz = await this.kubectl.try(["get", "--raw", "/readyz"], { timeoutMs: 15_000 });
    if (readyz.exitCode !== 0) return undefined;
    return this.startedLab(description);
  }

  /**
   * Docker, kind, kubectl and the Dockerfiles (air-gapped: the offline build brought up to date, which
   * rebuilds only images whose inputs changed), then k6 for the canary; none of the sim's toolchains.
   */
  async setup(options: UpOptions = {}): Promise<void> {
    const log = options.log ?? this.deps.log;
    if (this.deps.imageMode.kind === "offline") {
      const { buildOfflineKind } = await import("../kind/offline/build.ts");
      await buildOfflineKind(log);
    }
    await this.preflight(log);
    log(`  k6: ${await provideK6({ log })}`);
  }

  async up(options: UpOptions = {}): Promise<StartedLab> {
    const log = options.log ?? this.deps.log;
    const running = await this.attach();
    if (running) {
      log(`kind: the lab is already up (${this.paths.labJson}); attaching. \`lab down\` first to rebuild it (e.g. after changing the lab's images).`);
      return running;
    }
    const stage = async <T>(title: string, work: () => Promise<T>): Promise<T> => {
      const startedAt = this.deps.clock.now();
      log(`kind: ${title} …`);
      const value = await work();
      log(`kind: ${title} — done in ${formatDuration(this.deps.clock.now() - startedAt)}`);
      return value;
    };
    const { versions } = this.deps;
    await fs.mkdir(this.deps.stateDir, { recursive: true });

    const offline = this.offlineBuild;
    await stage("checking docker, kind and kubectl", () => this.preflight(log));
    await stage(`kind cluster ${KIND_CLUSTER_NAME} (${offline?.nodeImage ?? versions.kindNodeImage})`, () => this.createOrReuseCluster(log));
    // Air-gapped, every image (Argo's and Kafka's too) must be on the node before anything references it:
    // the kubelet would otherwise try a registry that is not there and back off for minutes.
    if (offline) await stage(`${offline.labImages.length} air-gapped images loaded into kind`, () => this.loadImages(offline.labImages));
    await stage("namespaces", () => this.kubectl.apply(this.manifests.namespaces, { what: "apply cluster/manifests/namespaces.yaml", hint: "check the cluster is reachable" }));
    await stage(this.kafka.operatorTitle, () => this.kafka.installOperator(log));
    await stage(`Argo Rollouts ${versions.argoRollouts}`, () => this.installArgoRollouts(log));
    const crds = [...this.kafka.crds, ...ARGO_ROLLOUTS_CRDS];
    await stage("CRDs established", () =>
      this.kubectl.run(["wait", "--for=condition=Established", "--timeout=120s", ...crds.map((crd) => `crd/${crd}`)], {
        what: `wait for the CRDs ${crds.join(", ")} to be established`,
        hint: "look at `kubectl get crd` — an install manifest may not have been applied completely",
        timeoutMs: 150_000,
      }),
    );
    await stage(this.kafka.kafkaTitle, async () => {
      await this.kafka.applyKafka();
      await this.kubectl.apply(this.manifests.toxiproxy, {
        what: "apply cluster/manifests/kind/toxiproxy.yaml",
        hint: "the manifest was rejected: fix cluster/manifests/kind/toxiproxy.yaml (cluster/manifests/kind-manifests.test.ts checks it)",
      });
    });
    await stage("operators running", async () => {
      await this.kafka.operatorRunning(log);
      await rolloutStatus(this.kubectl, `deployment/${ARGO_ROLLOUTS_DEPLOYMENT}`, "argo-rollouts", log);
    });
    // Kafka comes up meanwhile: building the images here overlaps the two slowest steps.
    if (!offline) await stage(`lab images (${this.deps.imageTags.join(", ")}) built and loaded into kind`, () => this.buildAndLoadImages(log));
    await stage(`Kafka ${this.topology.kafkaNamespace}/${this.topology.kafkaName} Ready`, () => this.kafka.waitReady(log));
    await stage("Toxiproxy", async () => {
      await rolloutStatus(this.kubectl, `deployment/${TOXIPROXY_DEPLOYMENT}`, this.topology.kafkaNamespace, log);
      await this.verifyToxiproxyFromHost();
    });
    await stage(`Kafka reachable from the host at ${this.topology.hostBootstrap}`, () => this.verifyHostBootstrap());
    const nodeIds = await stage("Kafka node ids and topics", () => this.kafka.nodeIdsWithTopics(log));
    await stage(`ConfigMap ${KAFKA_CONFIGMAP.namespace}/${KAFKA_CONFIGMAP.name}`, () =>
      this.kubectl.apply([this.kafkaConfigMap()], { what: `apply ConfigMap ${KAFKA_CONFIGMAP.namespace}/${KAFKA_CONFIGMAP.name}`, hint: "check the cluster is reachable" }),
    );

    const description = labDescriptionSchema.parse({
      provider: "kind",
      stateDir: this.deps.stateDir,
      kubeconfig: this.paths.kubeconfig,
      apiServer: await this.apiServerUrl(),
      kafka: {
        bootstrapDirect: [this.topology.hostBootstrap],
        bootstrapWorkloads: this.topology.workloadBootstrap,
        nodeIds,
        brokers: this.kafka.brokersDescription(),
      },
      toxiproxy: { api: this.toxiproxyApiUrl() },
      namespaces: this.manifests.namespaces.map((namespace) => namespace.metadata.name),
      versions: await this.labVersions(),
      startedAt: new Date(this.deps.clock.now()).toISOString(),
    } satisfies LabDescriptionInput);
    await fs.writeFile(this.paths.labJson, `${JSON.stringify(description, null, 2)}\n`);
    log(`kind: lab is up — kubeconfig ${this.paths.kubeconfig}, Kafka (host) ${this.topology.hostBootstrap}, state ${this.paths.labJson}`);
    return this.startedLab(description);
  }

  private async preflight(log: (line: string) => void): Promise<void> {
    const { versions, imageMode } = this.deps;
    if (imageMode.kind === "offline-missing") {
      throw new Error(`the air-gapped kind images are not built: ${imageMode.why}.\nWhat to do: ${OFFLINE_SETUP_COMMAND}; or unset CHAOSLAB_KIND_OFFLINE to use upstream's images (needs internet access).`);
    }
    log(`  images: ${imageMode.kind === "offline" ? "air-gapped" : "upstream"} (${imageMode.why})`);
    const serverVersion = await runOrThrow(this.runner, probe("docker", ["info", "--format", "{{.ServerVersion}}"]), {
      what: "reach the Docker engine with the docker CLI",
      hint: "start Docker (Docker Desktop, `sudo systemctl start docker`, `colima start`) and check `docker info`; or use the embedded lab: CLUSTER=sim",
    });
    log(`  docker engine ${serverVersion.trim()}`);

    const urls = releaseUrls(versions);
    const kind = await this.runner(probe("kind", ["version"]));
    if (kind.exitCode !== 0) {
      throw new Error(
        `kind is not usable (\`kind version\` ${kind.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : `exited ${kind.exitCode}: ${kind.stderr.trim()}`}).\n` +
          `What to do: install kind ${versions.kind} — \`go install sigs.k8s.io/kind@${versions.kind}\` (puts it in $(go env GOPATH)/bin), ` +
          `or download ${urls.kind}, make it executable and put it on PATH; or use CLUSTER=sim.`,
      );
    }
    const kindVersion = /v\d+\.\d+\.\d+/.exec(kind.stdout)?.[0];
    if (kindVersion !== versions.kind) {
      log(`  warning: kind ${kindVersion ?? kind.stdout.trim()} found, the lab is pinned to ${versions.kind} (cluster/versions.json); node image ${versions.kindNodeImage} may not match it`);
    }

    const kubectl = await this.runner(probe("kubectl", ["version", "--client", "-o", "json"]));
    if (kubectl.exitCode !== 0) {
      throw new Error(
        `kubectl is not usable (\`kubectl version --client\` ${kubectl.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : `exited ${kubectl.exitCode}`}).\n` +
          `What to do: install kubectl (https://kubernetes.io/docs/tasks/tools/), a version within one minor of ${versions.kindNodeImage.split(":")[1]}.`,
      );
    }

    if (imageMode.kind === "offline") {
      await this.preflightOffline(imageMode.build, log);
      return;
    }
    const missing = [...new Set(LAB_IMAGES.map((image) => image.dockerfile))].filter((file) => !existsSync(path.join(this.deps.repoRoot, file)));
    if (missing.length > 0) {
      throw new Error(
        `lab image Dockerfiles missing: ${missing.join(", ")} (listed in cluster/images.ts, looked up under ${this.deps.repoRoot}).\n` +
          "What to do: add them, or fix the paths in cluster/images.ts.",
      );
    }
  }

  /** Every image the build recorded is in the engine, and the engine runs privileged containers (kind's nodes are). */
  private async preflightOffline(build: OfflineKindBuild, log: (line: string) => void): Promise<void> {
    const images = [build.nodeImage, ...build.labImages];
    const listed = await runOrThrow(this.runner, probe("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]), {
      what: "list the Docker engine's images",
      hint: "check `docker info`",
    });
    const present = new Set(listed.split("\n").map((line) => line.trim()));
    const missing = images.filter((image) => !present.has(image));
    if (missing.length > 0) {
      throw new Error(
        `the air-gapped kind lab needs ${missing.length} image(s) the Docker engine does not have: ${missing.slice(0, 6).join(", ")}${missing.length > 6 ? ", ..." : ""} ` +
          `(named in ${offlineManifestPath()}).\nWhat to do: build them again: ${OFFLINE_SETUP_COMMAND} (cached steps are skipped).`,
      );
    }
    const privileged = await this.runner({ command: "docker", args: ["run", "--rm", "--privileged", "--entrypoint", "true", build.componentBaseImage], timeoutMs: 120_000 });
    if (privileged.exitCode !== 0) {
      throw new Error(
        `the Docker engine refuses privileged containers (\`docker run --privileged\` exited ${privileged.exitCode}: ${privileged.stderr.trim().split("\n").pop()}); kind's nodes are privileged containers.\n` +
          "What to do: on a host whose capability bounding set lacks CAP_SYS_RESOURCE (nested or sandboxed Docker), run `sudo cluster/kind/offline/docker-host.sh`: " +
          "it registers the runtime shim runc-no-sys-resource as Docker's default runtime; elsewhere, allow privileged containers (rootless Docker cannot run kind's nodes: see kind's known issues).",
      );
    }
    log(`  ${images.length} air-gapped images present; privileged containers start`);
  }

  private async clusterExists(): Promise<boolean> {
    const clusters = await runOrThrow(this.runner, probe("kind", ["get", "clusters"]), {
      what: "list kind clusters",
      hint: "check that Docker is running (`docker info`)",
    });
    return clusters.split("\n").map((line) => line.trim()).includes(KIND_CLUSTER_NAME);
  }

  private async createOrReuseCluster(log: (line: string) => void): Promise<void> {
    if (!(await this.clusterExists())) {
      await this.requireFreeHostPorts();
      await fs.writeFile(this.paths.kindConfig, this.renderClusterConfig());
      await runOrThrow(
        this.runner,
        {
          command: "kind",
          // --kubeconfig: kind writes the lab's kubeconfig there and leaves ~/.kube/config and its current context alone.
          args: ["create", "cluster", "--name", KIND_CLUSTER_NAME, "--config", this.paths.kindConfig, "--kubeconfig", this.paths.kubeconfig, "--wait", "180s"],
          timeoutMs: TIMEOUTS_MS.createCluster,
        },
        {
          what: `create kind cluster ${KIND_CLUSTER_NAME}`,
          hint:
            `read kind's output above; remove a half-created cluster with \`kind delete cluster --name ${KIND_CLUSTER_NAME}\`; ` +
            `host ports ${this.topology.hostPorts.join(", ")} must be free on 127.0.0.1; on Linux see https://kind.sigs.k8s.io/docs/user/known-issues/ (inotify limits)`,
        },
      );
      return;
    }
    log(`  reusing the existing kind cluster ${KIND_CLUSTER_NAME}`);
    const kubeconfig = await runOrThrow(this.runner, probe("kind", ["get", "kubeconfig", "--name", KIND_CLUSTER_NAME]), {
      what: `read the kubeconfig of kind cluster ${KIND_CLUSTER_NAME}`,
      hint: `if the cluster is broken, delete it (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again`,
    });
    await fs.writeFile(this.paths.kubeconfig, kubeconfig, { mode: 0o600 });
    const ports = await runOrThrow(this.runner, probe("docker", ["port", KIND_CONTROL_PLANE_CONTAINER]), {
      what: `read the published ports of ${KIND_CONTROL_PLANE_CONTAINER}`,
      hint: `delete the cluster (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again`,
    });
    const published = new Set([...ports.matchAll(/:(\d+)\s*$/gm)].map((match) => Number(match[1])));
    const missing = publishedHostPorts().filter((port) => !published.has(port));
    if (missing.length > 0) {
      throw new Error(
        `kind cluster ${KIND_CLUSTER_NAME} exists but does not publish host ports ${missing.join(", ")} (it was not created from cluster/kind/kind-config.yaml; ` +
          `kind can only add port mappings at creation).\nWhat to do: \`kind delete cluster --name ${KIND_CLUSTER_NAME}\` and run lab up again.`,
      );
    }
  }

  /**
   * Upstream: cluster/kind/kind-config.yaml with the pinned node image (3 nodes). Air-gapped: one node of the
   * image built offline (no kindnet is built: the node's bridge CNI serves one node) with the same host
   * port mappings.
   */
  private renderClusterConfig(): string {
    const build = this.offlineBuild;
    if (!build) return renderKindConfig(this.deps.versions);
    const controlPlane = readKindConfigTemplate().nodes.find((node) => node.role === "control-plane");
    return renderOfflineKindConfig({
      clusterName: KIND_CLUSTER_NAME,
      nodeImage: build.nodeImage,
      podSubnet: KIND_POD_SUBNET,
      etcdImageTag: build.etcdImageTag,
      extraPortMappings: controlPlane?.extraPortMappings ?? [],
    });
  }

  /** kind fails late and obscurely when a host port is taken; say which one, before creating anything. */
  private async requireFreeHostPorts(): Promise<void> {
    const taken: number[] = [];
    for (const port of this.topology.hostPorts) if (!(await this.deps.portFree(port))) taken.push(port);
    if (taken.length > 0) {
      throw new Error(
        `host port(s) ${taken.join(", ")} on 127.0.0.1 are in use; the kind lab publishes ${this.topology.hostPorts.join(", ")} there (cluster/kind/kind-config.yaml).\n` +
          `What to do: stop what listens there (\`ss -ltnp | grep -E ':(${taken.join("|")})\\b'\`), e.g. another lab or an old kind cluster (\`kind get clusters\`).`,
      );
    }
  }

  private async installArgoRollouts(log: (line: string) => void): Promise<void> {
    const { versions } = this.deps;
    const url = releaseUrls(versions).argoRollouts;
    const cacheFile = cachedManifestPaths(this.deps.cacheDir, versions).argoRollouts;
    const download: Download = this.offlineBuild
      ? async () => {
          throw new Error(`${cacheFile} is missing: the air-gapped build writes it (from the Go module) and nothing is downloaded offline; run ${OFFLINE_SETUP_COMMAND}`);
        }
      : this.deps.download;
    const { text, fromCache } = await cachedDownload(url, cacheFile, download);
    log(this.offlineBuild ? `  ${cacheFile} (from the Go module, image pinned)` : `  ${fromCache ? "cached" : "downloaded"} ${url}`);
    await this.kubectl.applyText(text, { what: `apply the Argo Rollouts ${versions.argoRollouts} install manifest`, hint: `check the cluster is reachable; the file is cached at ${this.deps.cacheDir}` }, { namespace: "argo-rollouts", timeoutMs: 300_000 });
  }

  private async buildAndLoadImages(log: (line: string) => void): Promise<void> {
    const references: string[] = [];
    const dockerStep = (reference: string, dockerfile: string) => ({
      what: `docker build ${reference}`,
      hint: `run the same \`docker build\` by hand to see the full output; fix ${dockerfile}`,
    });
    for (const image of LAB_IMAGES) {
      const devReference = `${image.repository}:dev`;
      const startedAt = this.deps.clock.now();
      // The Dockerfile contract: ARG ENTRY (the program, as in cluster/images.ts) and ARG IMAGE_TAG (→ ENV IMAGE_TAG).
      await runOrThrow(
        this.runner,
        {
          command: "docker",
          args: ["build", "--file", path.join(this.deps.repoRoot, image.dockerfile), "--tag", devReference, "--build-arg", `ENTRY=${image.entry}`, "--build-arg", "IMAGE_TAG=dev", this.deps.repoRoot],
          timeoutMs: TIMEOUTS_MS.dockerBuild,
        },
        dockerStep(devReference, image.dockerfile),
      );
      references.push(devReference);
      // Other tags are the same program with a different IMAGE_TAG (a real new revision for the canary):
      // a one-line image on top of :dev, built without a context, so it costs a layer, not a rebuild.
      for (const tag of this.deps.imageTags.filter((candidate) => candidate !== "dev")) {
        const reference = `${image.repository}:${tag}`;
        await runOrThrow(
          this.runner,
          { command: "docker", args: ["build", "--tag", reference, "-"], input: `FROM ${devReference}\nENV IMAGE_TAG=${tag}\n`, timeoutMs: 120_000 },
          dockerStep(reference, image.dockerfile),
        );
        references.push(reference);
      }
      log(`  built ${image.repository} (${formatDuration(this.deps.clock.now() - startedAt)})`);
    }
    await this.loadImages(references);
  }

  private async loadImages(references: string[]): Promise<void> {
    await runOrThrow(
      this.runner,
      { command: "kind", args: ["load", "docker-image", "--name", KIND_CLUSTER_NAME, ...references], timeoutMs: TIMEOUTS_MS.kindLoad },
      { what: `load ${references.length} lab images into kind cluster ${KIND_CLUSTER_NAME}`, hint: "check free disk space of the Docker engine (`docker system df`)" },
    );
  }

  private toxiproxyApiUrl(): string {
    return `http://127.0.0.1:${this.topology.toxiproxyApiHostPort}`;
  }

  private networkHandles(apiUrl: string): ToxiproxyNetworkHandles {
    const paths = this.topology.brokerHostPaths;
    return new ToxiproxyNetworkHandles(apiUrl, this.topology.proxyNames, async () => paths, this.deps.fetch);
  }

  private async verifyToxiproxyFromHost(): Promise<void> {
    const handles = this.networkHandles(this.toxiproxyApiUrl());
    const expected = [...this.topology.proxyNames.values()];
    await pollUntil({
      what: `Toxiproxy API ${this.toxiproxyApiUrl()}`,
      timeoutMs: TIMEOUTS_MS.hostReachable,
      intervalMs: 2_000,
      progressEveryMs: 0,
      clock: this.deps.clock,
      log: () => {},
      check: async () => {
        try {
          const present = await handles.proxyNamesPresent();
          const missing = expected.filter((name) => !present.includes(name));
          return missing.length === 0 ? { done: true, value: undefined } : { done: false, progress: `proxies missing: ${missing.join(", ")}` };
        } catch (error) {
          return { done: false, progress: (error as Error).message };
        }
      },
      timeoutError: (last) =>
        new Error(
          `Toxiproxy API ${this.toxiproxyApiUrl()} is not usable from the host: ${last}\n` +
            `What to do: check \`kubectl -n ${this.topology.kafkaNamespace} get pods,svc -l app.kubernetes.io/name=kafka-proxy\` and that ` +
            `the cluster publishes port ${this.topology.toxiproxyApiHostPort} (\`docker port ${KIND_CONTROL_PLANE_CONTAINER}\`).`,
        ),
    });
  }

  private async verifyHostBootstrap(): Promise<void> {
    const [host, port] = splitHostPort(this.topology.hostBootstrap);
    await pollUntil({
      what: `Kafka bootstrap ${this.topology.hostBootstrap}`,
      timeoutMs: TIMEOUTS_MS.hostReachable,
      intervalMs: 2_000,
      progressEveryMs: 0,
      clock: this.deps.clock,
      log: () => {},
      check: async () => ((await this.deps.tcpProbe(host, port, 3_000)) ? { done: true, value: undefined } : { done: false, progress: "connection refused or timed out" }),
      timeoutError: () =>
        new Error(
          `Kafka's host listener ${this.topology.hostBootstrap} does not accept connections.\n` +
            `What to do: check \`docker port ${KIND_CONTROL_PLANE_CONTAINER}\` lists ${port} and \`kubectl -n ${this.topology.kafkaNamespace} get svc\` ` +
            `has the nodeport services of listener "host". With a remote Docker engine (DOCKER_HOST=tcp://…) 127.0.0.1 is not where the ports are published.`,
        ),
    });
  }

  private kafkaConfigMap(): KubeObject {
    return {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: KAFKA_CONFIGMAP.name, namespace: KAFKA_CONFIGMAP.namespace, labels: { "app.kubernetes.io/part-of": "streamforge-chaoslab" } },
      data: {
        // Workloads dial the Toxiproxy proxies (the apps listener advertises them); the healer dials Kafka directly.
        workloads: this.topology.workloadBootstrap.join(","),
        instruments: this.topology.directBootstrap,
      },
    };
  }

  private async apiServerUrl(): Promise<string> {
    const kubeconfig = parse(await fs.readFile(this.paths.kubeconfig, "utf8")) as { clusters?: { cluster?: { server?: string } }[] };
    const server = kubeconfig.clusters?.[0]?.cluster?.server;
    if (!server) throw new Error(`${this.paths.kubeconfig} has no clusters[0].cluster.server: kind wrote an unexpected kubeconfig`);
    return server;
  }

  private async labVersions(): Promise<Record<string, string>> {
    const { versions } = this.deps;
    const server = await this.kubectl.getJson<{ serverVersion?: { gitVersion?: string } }>(["version"], {
      what: "read the Kubernetes server version",
      hint: "check the cluster is reachable",
    });
    const offline = this.offlineBuild;
    return {
      kind: versions.kind,
      kindNodeImage: offline?.nodeImage ?? versions.kindNodeImage,
      kindImages: offline ? "air-gapped (built from package registries)" : "upstream",
      kubernetesServer: server.serverVersion?.gitVersion ?? "unknown",
      ...(offline ? {} : { strimzi: versions.strimzi }),
      kafkaOperator: this.kafka.operator,
      kafka: versions.kafka,
      argoRollouts: versions.argoRollouts,
      toxiproxy: versions.toxiproxy,
    };
  }

  private startedLab(description: LabDescription): StartedLab {
    // From what lab.json recorded, so a process attaching later drives the brokers that were started.
    const recorded = description.kafka.brokers;
    const brokers: PodBrokerHandles =
      recorded?.kind === "statefulset"
        ? new StatefulSetBrokerHandles(this.kubectl, recorded, this.deps.clock)
        : new StrimziBrokerHandles(this.kubectl, { namespace: this.topology.kafkaNamespace, kafkaName: this.topology.kafkaName }, this.deps.clock);
    const network = this.networkHandles(description.toxiproxy?.api ?? this.toxiproxyApiUrl());
    const provider = this;
    return {
      description,
      brokers,
      network,
      services: realClusterServices(description.kubeconfig),
      tools: { k6: (options) => provideK6(options) },
      status: () => provider.status(brokers, network),
      async down(options: { keepData?: boolean } = {}) {
        await provider.down(options);
      },
    };
  }

  private async status(brokers: PodBrokerHandles, network: ToxiproxyNetworkHandles): Promise<Record<string, ComponentHealth>> {
    const { kafkaNamespace: namespace } = this.topology;
    const { health, guard } = healthCollector();
    await guard("kube-apiserver", async () => {
      const result = await this.kubectl.try(["get", "--raw", "/readyz"], { timeoutMs: 15_000 });
      return { healthy: result.exitCode === 0, detail: result.exitCode === 0 ? "ready" : result.stderr.trim() || "not ready" };
    });
    const kafkaChecks = Object.entries(this.kafka.healthChecks());
    for (const [name, check] of kafkaChecks.filter(([name]) => name !== "kafka")) await guard(name, check);
    for (const [name, ns, deployment] of [
      ["argo-rollouts", "argo-rollouts", ARGO_ROLLOUTS_DEPLOYMENT],
      ["toxiproxy", namespace, TOXIPROXY_DEPLOYMENT],
    ] as const) {
      await guard(name, () => deploymentHealth(this.kubectl, ns, deployment));
    }
    for (const [name, check] of kafkaChecks.filter(([name]) => name === "kafka")) await guard(name, check);
    await guard("toxiproxy-api", async () => {
      const present = await network.proxyNamesPresent();
      return { healthy: true, detail: `proxies: ${present.join(", ")}` };
    });
    await guard("kafka-brokers", async () => {
      const list = await brokers.list();
      const down = list.filter((broker) => !broker.running).map((broker) => broker.nodeId);
      return { healthy: down.length === 0, detail: down.length === 0 ? `${list.length} running` : `not running: ${down.join(", ")}` };
    });
    return health;
  }

  /** A cluster (or its network) that a failed `up` left without lab.json: deleted like a lab. */
  async removeLeftovers(options: { keepData?: boolean } = {}): Promise<boolean> {
    const cluster = await this.clusterExists().catch(() => false);
    if (!cluster) return false;
    await this.down(options);
    return true;
  }

  async down(options: { keepData?: boolean } = {}): Promise<void> {
    await runOrThrow(
      this.runner,
      { command: "kind", args: ["delete", "cluster", "--name", KIND_CLUSTER_NAME], timeoutMs: TIMEOUTS_MS.deleteCluster },
      { what: `delete kind cluster ${KIND_CLUSTER_NAME}`, hint: `retry; if it persists remove the node containers: \`docker rm -f ${KIND_CONTROL_PLANE_CONTAINER} ${KIND_CLUSTER_NAME}-worker ${KIND_CLUSTER_NAME}-worker2\`` },
    );
    // kind leaves its `kind` network for later clusters; the lab removes it when nothing else uses it
    // (docker refuses while a container is attached), so `lab down` leaves no network behind.
    await this.runner(probe("docker", ["network", "rm", "kind"]));
    await fs.rm(this.paths.labJson, { force: true });
    if (!options.keepData) {
      await fs.rm(this.paths.kubeconfig, { force: true });
      await fs.rm(this.paths.kindConfig, { force: true });
    }
  }
}

function probe(command: string, args: string[]): CommandSpec {
  return { command, args, timeoutMs: TIMEOUTS_MS.probe };
}

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

export const tcpProbe: TcpProbe = (host, port, timeoutMs) =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });

/**
 * Services of a real cluster: the host reaches them through the API server's service proxy; Argo's
 * controller runs in the cluster, so the manifests' DNS names serve it; EndpointSlices are the
 * controller's own. Shared by kind and existing.
 */
export function realClusterServices(kubeconfig: string): ServiceAccess {
  return {
    hostUrl: (namespace, name, options) => serviceProxyUrl(kubeconfig, namespace, name, options),
    controllerUrl: async () => undefined,
    endpointSlices: (namespace, name) => clusterEndpointSlices(loadKubeConfig(kubeconfig), namespace, name),
  };
}

export const loopbackPortFree: PortFree = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
