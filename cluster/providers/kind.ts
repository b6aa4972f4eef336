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
import { COMMAND_NOT_FOUND, type CommandRunner, type CommandSpec, runOrThrow, zxCommandRunner } from "../kind/command-runner.ts";
import {
  ARGO_ROLLOUTS_DEPLOYMENT,
  KAFKA_CONFIGMAP,
  KIND_CLUSTER_NAME,
  KIND_CONTROL_PLANE_CONTAINER,
  STRIMZI_OPERATOR_DEPLOYMENT,
  TOXIPROXY_DEPLOYMENT,
  kindCacheDir,
  kindStateDir,
  publishedHostPorts,
  releaseUrls,
  renderKindConfig,
} from "../kind/config.ts";
import { type Download, cachedDownload, httpDownload } from "../kind/download.ts";
import { type Condition, Kubectl, findCondition } from "../kind/kubectl.ts";
import { StrimziBrokerHandles } from "../kind/strimzi-brokers.ts";
import { retargetStrimziInstall } from "../kind/strimzi-install.ts";
import type { Fetch } from "../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../network/toxiproxy-network.ts";
import { clusterEndpointSlices } from "../kube/endpoint-slices.ts";
import { loadKubeConfig } from "../kube/apply.ts";
import { serviceProxyUrl } from "../kube/service-forwarder.ts";
import { provideK6 } from "../tools/k6.ts";
import { type Clock, formatDuration, pollUntil, systemClock } from "../kind/wait.ts";
import { type KindLabManifests, type KindLabTopology, type KubeObject, type Versions, kindLabTopology, renderKindLabManifests } from "../manifests/kind-manifests.ts";

export type TcpProbe = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

export interface KindProviderDeps {
  runner: CommandRunner;
  download: Download;
  fetch: Fetch;
  tcpProbe: TcpProbe;
  clock: Clock;
  stateDir: string;
  cacheDir: string;
  /** Build context of the lab images and where their Dockerfiles are looked up. */
  repoRoot: string;
  versions: Versions;
  /** Tags built for every lab image (the canary's manifests reference v1, v2, ...). */
  imageTags: readonly string[];
  log: (line: string) => void;
}

const TIMEOUTS_MS = {
  probe: 30_000,
  createCluster: 15 * 60_000,
  deleteCluster: 5 * 60_000,
  operatorRollout: 10 * 60_000,
  kafkaReady: 20 * 60_000,
  topicsReady: 5 * 60_000,
  dockerBuild: 20 * 60_000,
  kindLoad: 15 * 60_000,
  hostReachable: 60_000,
} as const;

const STRIMZI_CRDS = ["kafkas.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "strimzipodsets.core.strimzi.io"];
const ARGO_ROLLOUTS_CRDS = ["rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"];

export function defaultKindDeps(): KindProviderDeps {
  return {
    runner: zxCommandRunner,
    download: httpDownload,
    fetch,
    tcpProbe,
    clock: systemClock,
    stateDir: kindStateDir(),
    cacheDir: kindCacheDir(),
    repoRoot: REPO_ROOT,
    versions: pinnedVersions,
    imageTags: LAB_IMAGE_TAGS,
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

  constructor(private readonly deps: KindProviderDeps) {
    this.manifests = renderKindLabManifests(deps.versions);
    this.topology = kindLabTopology(this.manifests);
    this.paths = kindStatePaths(deps.stateDir);
    this.kubectl = new Kubectl(deps.runner, this.paths.kubeconfig);
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

  /** Docker, kind, kubectl and the Dockerfiles, then k6 for the canary; none of the sim's toolchains. */
  async setup(options: UpOptions = {}): Promise<void> {
    const log = options.log ?? this.deps.log;
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

    await stage("checking docker, kind and kubectl", () => this.preflight(log));
    await stage(`kind cluster ${KIND_CLUSTER_NAME} (${versions.kindNodeImage})`, () => this.createOrReuseCluster(log));
    await stage("namespaces", () => this.kubectl.apply(this.manifests.namespaces, { what: "apply cluster/manifests/namespaces.yaml", hint: "check the cluster is reachable" }));
    await stage(`Strimzi ${versions.strimzi} operator (namespace ${this.topology.kafkaNamespace})`, () => this.installStrimzi(log));
    await stage(`Argo Rollouts ${versions.argoRollouts}`, () => this.installArgoRollouts(log));
    await stage("CRDs established", () =>
      this.kubectl.run(["wait", "--for=condition=Established", "--timeout=120s", ...[...STRIMZI_CRDS, ...ARGO_ROLLOUTS_CRDS].map((crd) => `crd/${crd}`)], {
        what: "wait for the Strimzi and Argo Rollouts CRDs to be established",
        hint: "look at `kubectl get crd` — an install manifest may not have been applied completely",
        timeoutMs: 150_000,
      }),
    );
    await stage(`Kafka ${this.topology.kafkaNamespace}/${this.topology.kafkaName} (Kafka ${versions.kafka}), topics and Toxiproxy manifests`, async () => {
      const step = (file: string) => ({ what: `apply ${file}`, hint: `the manifest was rejected: fix ${file} (the unit test cluster/manifests/strimzi-manifests.test.ts validates it against the CRDs)` });
      await this.kubectl.apply(this.manifests.kafka, step("cluster/manifests/kind/kafka.yaml"));
      await this.kubectl.apply(this.manifests.topics, step("cluster/manifests/kind/topics.yaml"));
      await this.kubectl.apply(this.manifests.toxiproxy, step("cluster/manifests/kind/toxiproxy.yaml"));
    });
    await stage("operators running", async () => {
      await this.rolloutStatus(this.topology.kafkaNamespace, STRIMZI_OPERATOR_DEPLOYMENT, log);
      await this.rolloutStatus("argo-rollouts", ARGO_ROLLOUTS_DEPLOYMENT, log);
    });
    // Strimzi brings Kafka up meanwhile: building images here overlaps the two slowest steps.
    await stage(`lab images (${this.deps.imageTags.join(", ")}) built and loaded into kind`, () => this.buildAndLoadImages(log));
    await stage(`Kafka ${this.topology.kafkaNamespace}/${this.topology.kafkaName} Ready`, () => this.waitForKafkaReady(log));
    const nodeIds = await stage("Kafka node ids, topics and Toxiproxy", async () => {
      const ids = await this.verifyNodeIds();
      await this.kubectl.run(
        ["wait", "--for=condition=Ready", "--timeout=240s", "--namespace", this.topology.kafkaNamespace, ...this.topology.topics.map((topic) => `kafkatopics.kafka.strimzi.io/${topic}`)],
        {
          what: `wait for KafkaTopics ${this.topology.topics.join(", ")}`,
          hint: `look at \`kubectl -n ${this.topology.kafkaNamespace} get kafkatopics -o yaml\` (status.conditions) and the entity operator's topic-operator log`,
          timeoutMs: TIMEOUTS_MS.topicsReady,
        },
      );
      await this.rolloutStatus(this.topology.kafkaNamespace, TOXIPROXY_DEPLOYMENT, log);
      await this.verifyToxiproxyFromHost();
      return ids;
    });
    await stage(`Kafka reachable from the host at ${this.topology.hostBootstrap}`, () => this.verifyHostBootstrap());
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
        brokers: { kind: "strimzi", namespace: this.topology.kafkaNamespace, name: this.topology.kafkaName },
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
    const { versions } = this.deps;
    const serverVersion = await runOrThrow(this.deps.runner, probe("docker", ["info", "--format", "{{.ServerVersion}}"]), {
      what: "reach the Docker engine with the docker CLI",
      hint: "start Docker (Docker Desktop, `sudo systemctl start docker`, `colima start`) and check `docker info`; or use the embedded lab: CLUSTER=sim",
    });
    log(`  docker engine ${serverVersion.trim()}`);

    const urls = releaseUrls(versions);
    const kind = await this.deps.runner(probe("kind", ["version"]));
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

    const kubectl = await this.deps.runner(probe("kubectl", ["version", "--client", "-o", "json"]));
    if (kubectl.exitCode !== 0) {
      throw new Error(
        `kubectl is not usable (\`kubectl version --client\` ${kubectl.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : `exited ${kubectl.exitCode}`}).\n` +
          `What to do: install kubectl (https://kubernetes.io/docs/tasks/tools/), a version within one minor of ${versions.kindNodeImage.split(":")[1]}.`,
      );
    }

    const missing = [...new Set(LAB_IMAGES.map((image) => image.dockerfile))].filter((file) => !existsSync(path.join(this.deps.repoRoot, file)));
    if (missing.length > 0) {
      throw new Error(
        `lab image Dockerfiles missing: ${missing.join(", ")} (listed in cluster/images.ts, looked up under ${this.deps.repoRoot}).\n` +
          "What to do: add them, or fix the paths in cluster/images.ts.",
      );
    }
  }

  private async clusterExists(): Promise<boolean> {
    const clusters = await runOrThrow(this.deps.runner, probe("kind", ["get", "clusters"]), {
      what: "list kind clusters",
      hint: "check that Docker is running (`docker info`)",
    });
    return clusters.split("\n").map((line) => line.trim()).includes(KIND_CLUSTER_NAME);
  }

  private async createOrReuseCluster(log: (line: string) => void): Promise<void> {
    if (!(await this.clusterExists())) {
      await fs.writeFile(this.paths.kindConfig, renderKindConfig(this.deps.versions));
      await runOrThrow(
        this.deps.runner,
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
    const kubeconfig = await runOrThrow(this.deps.runner, probe("kind", ["get", "kubeconfig", "--name", KIND_CLUSTER_NAME]), {
      what: `read the kubeconfig of kind cluster ${KIND_CLUSTER_NAME}`,
      hint: `if the cluster is broken, delete it (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again`,
    });
    await fs.writeFile(this.paths.kubeconfig, kubeconfig, { mode: 0o600 });
    const ports = await runOrThrow(this.deps.runner, probe("docker", ["port", KIND_CONTROL_PLANE_CONTAINER]), {
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

  private async installStrimzi(log: (line: string) => void): Promise<void> {
    const { versions } = this.deps;
    const url = releaseUrls(versions).strimzi;
    const { text, fromCache } = await cachedDownload(url, path.join(this.deps.cacheDir, `strimzi-cluster-operator-${versions.strimzi}.yaml`), this.deps.download);
    log(`  ${fromCache ? "cached" : "downloaded"} ${url}`);
    const objects = retargetStrimziInstall(text, this.topology.kafkaNamespace);
    await this.kubectl.apply(objects, { what: `apply the Strimzi ${versions.strimzi} install manifest`, hint: `check the cluster is reachable; the file is cached at ${this.deps.cacheDir}` }, { namespace: this.topology.kafkaNamespace, timeoutMs: 300_000 });
  }

  private async installArgoRollouts(log: (line: string) => void): Promise<void> {
    const { versions } = this.deps;
    const url = releaseUrls(versions).argoRollouts;
    const { text, fromCache } = await cachedDownload(url, path.join(this.deps.cacheDir, `argo-rollouts-${versions.argoRollouts}-install.yaml`), this.deps.download);
    log(`  ${fromCache ? "cached" : "downloaded"} ${url}`);
    await this.kubectl.applyText(text, { what: `apply the Argo Rollouts ${versions.argoRollouts} install manifest`, hint: `check the cluster is reachable; the file is cached at ${this.deps.cacheDir}` }, { namespace: "argo-rollouts", timeoutMs: 300_000 });
  }

  private async rolloutStatus(namespace: string, deployment: string, log: (line: string) => void): Promise<void> {
    log(`  waiting for deployment ${namespace}/${deployment}`);
    await this.kubectl.run(["rollout", "status", `deployment/${deployment}`, "--namespace", namespace, `--timeout=${TIMEOUTS_MS.operatorRollout / 1000}s`], {
      what: `wait for deployment ${namespace}/${deployment} to become available`,
      hint: `look at \`kubectl -n ${namespace} describe deployment ${deployment}\` and its pods' events (image pull errors need internet access to the image registry)`,
      timeoutMs: TIMEOUTS_MS.operatorRollout + 30_000,
    });
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
        this.deps.runner,
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
          this.deps.runner,
          { command: "docker", args: ["build", "--tag", reference, "-"], input: `FROM ${devReference}\nENV IMAGE_TAG=${tag}\n`, timeoutMs: 120_000 },
          dockerStep(reference, image.dockerfile),
        );
        references.push(reference);
      }
      log(`  built ${image.repository} (${formatDuration(this.deps.clock.now() - startedAt)})`);
    }
    await runOrThrow(
      this.deps.runner,
      { command: "kind", args: ["load", "docker-image", "--name", KIND_CLUSTER_NAME, ...references], timeoutMs: TIMEOUTS_MS.kindLoad },
      { what: `load ${references.length} lab images into kind cluster ${KIND_CLUSTER_NAME}`, hint: "check free disk space of the Docker engine (`docker system df`)" },
    );
  }

  private async waitForKafkaReady(log: (line: string) => void): Promise<void> {
    const { kafkaNamespace: namespace, kafkaName: name } = this.topology;
    await pollUntil({
      what: `Kafka ${namespace}/${name}`,
      timeoutMs: TIMEOUTS_MS.kafkaReady,
      intervalMs: 5_000,
      progressEveryMs: 30_000,
      clock: this.deps.clock,
      log,
      check: async () => {
        const kafka = await this.kubectl.getJson<{ status?: { conditions?: Condition[] } }>(["get", "kafkas.kafka.strimzi.io", name, "--namespace", namespace], {
          what: `read Kafka ${namespace}/${name}`,
          hint: "check the cluster is reachable",
        });
        const ready = findCondition(kafka, "Ready");
        if (ready?.status === "True") return { done: true, value: undefined };
        if (ready?.status === "False" && /Invalid/i.test(ready.reason ?? "")) {
          throw new Error(
            `Kafka ${namespace}/${name} was rejected by the Strimzi operator: ${ready.reason}: ${ready.message ?? ""}\n` +
              "What to do: fix cluster/manifests/kind/kafka.yaml.",
          );
        }
        const pods = await this.kubectl.getJson<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>(
          ["get", "pods", "--namespace", namespace, "--selector", `strimzi.io/cluster=${name}`],
          { what: `list pods of Kafka ${namespace}/${name}`, hint: "check the cluster is reachable" },
        );
        const podSummary = pods.items.map((pod) => `${pod.metadata.name}=${pod.status?.phase ?? "?"}`).join(" ") || "no pods yet";
        return { done: false, progress: `${ready ? `Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ""}` : "no Ready condition yet"}; ${podSummary}` };
      },
      timeoutError: (last, waited) =>
        new Error(
          `Kafka ${namespace}/${name} is not Ready after ${formatDuration(waited)} (last seen: ${last}).\n` +
            `What to do: \`kubectl --kubeconfig ${this.paths.kubeconfig} -n ${namespace} describe kafka ${name}\`, ` +
            `\`kubectl ... -n ${namespace} get pods,pvc\` and the operator log \`kubectl ... -n ${namespace} logs deploy/${STRIMZI_OPERATOR_DEPLOYMENT}\`. ` +
            "Pulling the Kafka image takes a while on a slow network; each broker needs about 1 GiB of memory in Docker.",
        ),
    });
  }

  /** The node ids Strimzi gave the pool must be the ones the manifests key on (node ports, proxies). */
  private async verifyNodeIds(): Promise<number[]> {
    const { kafkaNamespace: namespace, poolName } = this.topology;
    const pool = await this.kubectl.getJson<{ status?: { nodeIds?: number[] } }>(["get", "kafkanodepools.kafka.strimzi.io", poolName, "--namespace", namespace], {
      what: `read KafkaNodePool ${namespace}/${poolName}`,
      hint: "check the cluster is reachable",
    });
    const actual = [...(pool.status?.nodeIds ?? [])].sort((a, b) => a - b);
    const expected = [...this.topology.nodeIds].sort((a, b) => a - b);
    if (actual.join(",") !== expected.join(",")) {
      throw new Error(
        `KafkaNodePool ${namespace}/${poolName} has node ids [${actual.join(", ")}], the lab's manifests expect [${expected.join(", ")}] ` +
          "(annotation strimzi.io/next-node-ids; the host listener's per-broker node ports and the Toxiproxy proxies key on them).\n" +
          `What to do: delete the cluster (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again; if it persists, align cluster/manifests/kind/*.yaml.`,
      );
    }
    return actual;
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
    return {
      kind: versions.kind,
      kindNodeImage: versions.kindNodeImage,
      kubernetesServer: server.serverVersion?.gitVersion ?? "unknown",
      strimzi: versions.strimzi,
      kafkaOperator: `Strimzi ${versions.strimzi}`,
      kafka: versions.kafka,
      argoRollouts: versions.argoRollouts,
      toxiproxy: versions.toxiproxy,
    };
  }

  private startedLab(description: LabDescription): StartedLab {
    const brokers = new StrimziBrokerHandles(this.kubectl, { namespace: this.topology.kafkaNamespace, kafkaName: this.topology.kafkaName }, this.deps.clock);
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

  private async status(brokers: StrimziBrokerHandles, network: ToxiproxyNetworkHandles): Promise<Record<string, ComponentHealth>> {
    const { kafkaNamespace: namespace, kafkaName } = this.topology;
    const { health, guard } = healthCollector();
    await guard("kube-apiserver", async () => {
      const result = await this.kubectl.try(["get", "--raw", "/readyz"], { timeoutMs: 15_000 });
      return { healthy: result.exitCode === 0, detail: result.exitCode === 0 ? "ready" : result.stderr.trim() || "not ready" };
    });
    for (const [name, ns, deployment] of [
      ["strimzi-operator", namespace, STRIMZI_OPERATOR_DEPLOYMENT],
      ["argo-rollouts", "argo-rollouts", ARGO_ROLLOUTS_DEPLOYMENT],
      ["toxiproxy", namespace, TOXIPROXY_DEPLOYMENT],
    ] as const) {
      await guard(name, () => deploymentHealth(this.kubectl, ns, deployment));
    }
    await guard("kafka", async () => {
      const kafka = await this.kubectl.getJson<{ status?: { conditions?: Condition[] } }>(["get", "kafkas.kafka.strimzi.io", kafkaName, "--namespace", namespace], {
        what: `read Kafka ${namespace}/${kafkaName}`,
        hint: "check the cluster is reachable",
      });
      const ready = findCondition(kafka, "Ready");
      return { healthy: ready?.status === "True", detail: ready ? `Ready=${ready.status}${ready.message ? `: ${ready.message}` : ""}` : "no Ready condition" };
    });
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

  async down(options: { keepData?: boolean } = {}): Promise<void> {
    await runOrThrow(
      this.deps.runner,
      { command: "kind", args: ["delete", "cluster", "--name", KIND_CLUSTER_NAME], timeoutMs: TIMEOUTS_MS.deleteCluster },
      { what: `delete kind cluster ${KIND_CLUSTER_NAME}`, hint: `retry; if it persists remove the node containers: \`docker rm -f ${KIND_CONTROL_PLANE_CONTAINER} ${KIND_CLUSTER_NAME}-worker ${KIND_CLUSTER_NAME}-worker2\`` },
    );
    await fs.rm(this.paths.labJson, { force: true });
    if (!options.keepData) {
      await fs.rm(this.paths.kubeconfig, { force: true });
      await fs.rm(this.paths.kindConfig, { force: true });
    }
  }
}

export async function deploymentHealth(kubectl: Kubectl, namespace: string, name: string): Promise<ComponentHealth> {
  const deployment = await kubectl.getJson<{ spec?: { replicas?: number }; status?: { availableReplicas?: number } }>(["get", "deployment", name, "--namespace", namespace], {
    what: `read deployment ${namespace}/${name}`,
    hint: "check the cluster is reachable",
  });
  const available = deployment.status?.availableReplicas ?? 0;
  const wanted = deployment.spec?.replicas ?? 1;
  return { healthy: available >= 1, detail: `${available}/${wanted} available` };
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
