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
import { parse } from "yaml";
import { LAB_IMAGE_TAGS, REPO_ROOT } from "../images.ts";
import { type ClusterProvider, type ComponentHealth, type LabDescription, type LabDescriptionInput, type StartedLab, type UpOptions, labDescriptionSchema } from "../provider.ts";
import { readLabDescription } from "./registry.ts";
import pinnedVersions from "../versions.json" with { type: "json" };
import { type CommandRunner, withToolsFrom, zxCommandRunner } from "../kind/command-runner.ts";
import type { KindKafka } from "../kind/kind-kafka.ts";
import { rolloutStatus } from "../kind/kind-kafka.ts";
import { StrimziKafka } from "../kind/strimzi-kafka.ts";
import { type EnsureTopics, StatefulSetKafka } from "../kind/statefulset-kafka.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import type { OfflineKindBuild } from "../kind/offline/build.ts";
import { type KindImageMode, kindImageMode } from "../kind/offline/mode.ts";
import { ARGO_ROLLOUTS_DEPLOYMENT, KAFKA_CONFIGMAP, KIND_CLUSTER_NAME, TOXIPROXY_DEPLOYMENT, kindCacheDir, kindStateDir } from "../kind/config.ts";
import { type Download, httpDownload } from "../kind/download.ts";
import { Kubectl } from "../kind/kubectl.ts";
import { type PodBrokerHandles, StatefulSetBrokerHandles, StrimziBrokerHandles } from "../kind/strimzi-brokers.ts";
import type { Fetch } from "../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../network/toxiproxy-network.ts";
import { canConnect } from "../network/tcp-probe.ts";
import { realClusterAccess } from "../kube/real-cluster-services.ts";
import { provideK6 } from "../tools/k6.ts";
import { type Clock, formatDuration, systemClock } from "../kind/wait.ts";
import { type KindLabManifests, type KindLabTopology, type KubeObject, type Versions, kindLabTopology, renderKindLabManifests } from "../manifests/kind-manifests.ts";
import { kindPreflight } from "./kind/preflight.ts";
import { type KindStatePaths, KindNodeCluster, type PortFree, kindStatePaths, loopbackPortFree } from "./kind/node-cluster.ts";
import { buildAndLoadLabImages, loadImagesIntoKind } from "./kind/lab-images.ts";
import { ARGO_ROLLOUTS_CRDS, installArgoRollouts } from "./kind/argo-rollouts.ts";
import { type TcpProbe, verifyHostBootstrap, verifyToxiproxyFromHost } from "./kind/host-reachability.ts";
import { kindLabStatus } from "./kind/lab-status.ts";
import { KindContainerFreezer } from "./kind/container-freezer.ts";

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

function defaultKindDeps(): KindProviderDeps {
  return {
    runner: zxCommandRunner,
    download: httpDownload,
    fetch,
    tcpProbe: canConnect,
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

export class KindProvider implements ClusterProvider {
  readonly name = "kind" as const;
  private readonly manifests: KindLabManifests;
  private readonly topology: KindLabTopology;
  private readonly paths: KindStatePaths;
  private readonly kubectl: Kubectl;
  /** deps.runner, with `kind` and `kubectl` resolved to the offline build's when the lab runs offline. */
  private readonly runner: CommandRunner;
  private readonly kafka: KindKafka;
  private readonly cluster: KindNodeCluster;

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
    this.cluster = new KindNodeCluster({
      runner: this.runner,
      paths: this.paths,
      versions: deps.versions,
      hostPorts: this.topology.hostPorts,
      portFree: deps.portFree,
      offlineBuild: this.offlineBuild,
    });
  }

  private get offlineBuild(): OfflineKindBuild | undefined {
    return this.deps.imageMode.kind === "offline" ? this.deps.imageMode.build : undefined;
  }

  async attach(): Promise<StartedLab | undefined> {
    const description = await readLabDescription(this.paths.labJson).catch(() => undefined);
    if (description?.provider !== "kind") return undefined;
    try {
      if (!(await this.cluster.exists())) return undefined;
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

  private preflight(log: (line: string) => void): Promise<void> {
    return kindPreflight({ runner: this.runner, versions: this.deps.versions, imageMode: this.deps.imageMode, repoRoot: this.deps.repoRoot }, log);
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
    await stage(`kind cluster ${KIND_CLUSTER_NAME} (${offline?.nodeImage ?? versions.kindNodeImage})`, () => this.cluster.createOrReuse(log));
    // Air-gapped, every image (Argo's and Kafka's too) must be on the node before anything references it:
    // the kubelet would otherwise try a registry that is not there and back off for minutes.
    if (offline) await stage(`${offline.labImages.length} air-gapped images loaded into kind`, () => loadImagesIntoKind(this.runner, offline.labImages));
    await stage("namespaces", () => this.kubectl.apply(this.manifests.namespaces, { what: "apply cluster/manifests/namespaces.yaml", hint: "check the cluster is reachable" }));
    await stage(this.kafka.operatorTitle, () => this.kafka.installOperator(log));
    await stage(`Argo Rollouts ${versions.argoRollouts}`, () => installArgoRollouts({ kubectl: this.kubectl, versions, cacheDir: this.deps.cacheDir, download: this.deps.download, offline: offline !== undefined }, log));
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
    if (!offline) await stage(`lab images (${this.deps.imageTags.join(", ")}) built and loaded into kind`, () => buildAndLoadLabImages({ runner: this.runner, repoRoot: this.deps.repoRoot, imageTags: this.deps.imageTags, clock: this.deps.clock }, log));
    await stage(`Kafka ${this.topology.kafkaNamespace}/${this.topology.kafkaName} Ready`, () => this.kafka.waitReady(log));
    await stage("Toxiproxy", async () => {
      await rolloutStatus(this.kubectl, `deployment/${TOXIPROXY_DEPLOYMENT}`, this.topology.kafkaNamespace, log);
      await verifyToxiproxyFromHost(this.networkHandles(this.toxiproxyApiUrl()), this.toxiproxyApiUrl(), this.topology, this.deps.clock);
    });
    await stage(`Kafka reachable from the host at ${this.topology.hostBootstrap}`, () => verifyHostBootstrap(this.topology, this.deps.tcpProbe, this.deps.clock));
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

  private toxiproxyApiUrl(): string {
    return `http://127.0.0.1:${this.topology.toxiproxyApiHostPort}`;
  }

  private networkHandles(apiUrl: string): ToxiproxyNetworkHandles {
    const paths = this.topology.brokerHostPaths;
    return new ToxiproxyNetworkHandles(apiUrl, this.topology.proxyNames, async () => paths, this.deps.fetch);
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
      ...realClusterAccess(description.kubeconfig),
      // Pods' containers paused through each node's containerd (docker exec into the node container).
      processes: new KindContainerFreezer(this.runner, this.kubectl),
      status: () => provider.status(brokers, network),
      async down(options: { keepData?: boolean } = {}) {
        await provider.down(options);
      },
    };
  }

  private status(brokers: PodBrokerHandles, network: ToxiproxyNetworkHandles): Promise<Record<string, ComponentHealth>> {
    return kindLabStatus({ kubectl: this.kubectl, kafka: this.kafka, kafkaNamespace: this.topology.kafkaNamespace, brokers, network });
  }

  /** A cluster (or its network) that a failed `up` left without lab.json: deleted like a lab. */
  async removeLeftovers(options: { keepData?: boolean } = {}): Promise<boolean> {
    const cluster = await this.cluster.exists().catch(() => false);
    if (!cluster) return false;
    await this.down(options);
    return true;
  }

  async down(options: { keepData?: boolean } = {}): Promise<void> {
    await this.cluster.delete();
    await fs.rm(this.paths.labJson, { force: true });
    if (!options.keepData) {
      await fs.rm(this.paths.kubeconfig, { force: true });
      await fs.rm(this.paths.kindConfig, { force: true });
    }
  }
}
