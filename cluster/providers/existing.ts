/**
 * The `existing` cluster provider (`CLUSTER=existing`): whatever the current kubeconfig context points at,
 * e.g. a staging cluster. It installs no operators and creates no Kafka: it checks that Strimzi (serving
 * kafka.strimzi.io/v1) and Argo Rollouts are installed and running and that the Kafka cluster is Ready, and
 * fails with one message naming everything that is missing. What it does write is lab-owned: the lab's
 * namespaces, its KafkaTopics (in the Kafka's namespace) and ConfigMap streamforge-kafka.
 *
 * The context is frozen at `lab up`: a minified copy of it becomes the lab's kubeconfig, so switching
 * contexts later cannot point a running scenario at another cluster.
 *
 * Environment:
 *   CHAOSLAB_KAFKA=<namespace>/<name>        the Strimzi Kafka to use (default kafka/chaoslab)
 *   CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,...> what the harness on this machine dials (default: the status
 *                                            address of a non-TLS nodeport/loadbalancer/ingress/route listener)
 *   CHAOSLAB_TOXIPROXY_API=<url>             Toxiproxy in front of the brokers (cluster/manifests/kind/toxiproxy.yaml);
 *                                            without it, network faults are skipped with the reason
 *   CHAOSLAB_KAFKA_PATHS=<id>=<proxy host:port>/<direct host:port>,...
 *                                            where this machine reaches each broker through its Toxiproxy
 *                                            proxy and directly (the latency fault's proof); without it,
 *                                            network faults are skipped with the reason
 */
import fs from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import {
  type ClusterProvider,
  type ComponentHealth,
  type BrokerPaths,
  type KafkaBrokerHandles,
  type KafkaNetworkHandles,
  type LabDescription,
  type LabDescriptionInput,
  UnsupportedCapabilityError,
  type StartedLab,
  type UpOptions,
  labDescriptionSchema,
} from "../provider.ts";
import { healthCollector } from "../component-health.ts";
import pinnedVersions from "../versions.json" with { type: "json" };
import { COMMAND_NOT_FOUND, type CommandRunner, runOrThrow, zxCommandRunner } from "../kind/command-runner.ts";
import { ARGO_ROLLOUTS_DEPLOYMENT, KAFKA_CONFIGMAP, STRIMZI_OPERATOR_DEPLOYMENT } from "../kind/config.ts";
import { type Condition, Kubectl, deploymentHealth, findCondition } from "../kind/kubectl.ts";
import { StatefulSetBrokerHandles, StrimziBrokerHandles } from "../kind/strimzi-brokers.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import { LAB_TOPICS } from "../topics.ts";
import { labImageReferences, REPO_ROOT } from "../images.ts";
import type { Fetch } from "../network/toxiproxy-api.ts";
import { ToxiproxyNetworkHandles } from "../network/toxiproxy-network.ts";
import { provideK6 } from "../tools/k6.ts";
import { type Clock, systemClock } from "../kind/wait.ts";
import { type KafkaListener, type KubeObject, renderKindLabManifests } from "../manifests/kind-manifests.ts";
import { realClusterServices } from "./kind.ts";
import { readLabDescription, type ProviderOptions } from "./registry.ts";

export interface ExistingProviderDeps {
  runner: CommandRunner;
  /** Creates the lab's topics on a Kafka given by address; returns its node ids (ensureLabTopics). */
  ensureTopics: (bootstrap: string[]) => Promise<number[]>;
  fetch: Fetch;
  clock: Clock;
  stateDir: string;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}

export function createProvider(overrides: Partial<ExistingProviderDeps> & ProviderOptions = {}): ExistingProvider {
  return new ExistingProvider({
    runner: zxCommandRunner,
    ensureTopics: (bootstrap) => ensureLabTopics(bootstrap, { where: `the Kafka at ${bootstrap.join(",")}` }),
    fetch,
    clock: systemClock,
    env: process.env,
    log: (line) => process.stderr.write(`${line}\n`),
    ...overrides,
    stateDir: overrides.stateDir ?? process.env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", "existing"),
  });
}

/** Resources (resource.group, as `kubectl api-resources -o name` prints them) the lab needs, by owner. */
export const REQUIRED_API_RESOURCES = {
  Strimzi: ["kafkas.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "strimzipodsets.core.strimzi.io"],
  "Argo Rollouts": ["rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"],
} as const;

const INSTALL_HINTS = {
  Strimzi: `install Strimzi ${pinnedVersions.strimzi} (https://strimzi.io/docs/operators/latest/deploying, or the release file strimzi-cluster-operator-${pinnedVersions.strimzi}.yaml) — the lab needs kafka.strimzi.io/v1 (Strimzi >= 0.49)`,
  "Argo Rollouts": `install Argo Rollouts ${pinnedVersions.argoRollouts} (kubectl create namespace argo-rollouts; kubectl apply -n argo-rollouts --server-side -f https://github.com/argoproj/argo-rollouts/releases/download/${pinnedVersions.argoRollouts}/install.yaml)`,
} as const;

interface KafkaResource {
  metadata: { name: string; namespace: string };
  spec: { kafka: { listeners: KafkaListener[] } };
  status?: { conditions?: Condition[]; kafkaVersion?: string; listeners?: { name: string; bootstrapServers?: string }[] };
}

export class ExistingProvider implements ClusterProvider {
  readonly name = "existing" as const;
  private readonly paths: { kubeconfig: string; labJson: string };
  private readonly kubectl: Kubectl;
  private readonly kafkaRef: { namespace: string; name: string };

  constructor(private readonly deps: ExistingProviderDeps) {
    this.paths = { kubeconfig: path.join(deps.stateDir, "kubeconfig"), labJson: path.join(deps.stateDir, "lab.json") };
    this.kubectl = new Kubectl(deps.runner, this.paths.kubeconfig);
    this.kafkaRef = parseKafkaRef(deps.env.CHAOSLAB_KAFKA);
  }

  async attach(): Promise<StartedLab | undefined> {
    const description = await readLabDescription(this.paths.labJson).catch(() => undefined);
    if (description?.provider !== "existing") return undefined;
    const version = await this.kubectl.try(["version", "-o", "json"], { timeoutMs: 15_000 });
    return version.exitCode === 0 ? this.startedLab(description) : undefined;
  }

  /** kubectl (the context is checked at `lab up`), then k6 for the canary. */
  async setup(options: UpOptions = {}): Promise<void> {
    const log = options.log ?? this.deps.log;
    const client = await this.deps.runner({ command: "kubectl", args: ["version", "--client", "-o", "json"], timeoutMs: 30_000 });
    if (client.exitCode !== 0) {
      throw new Error(
        `kubectl is not usable (${client.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : client.stderr.trim()}). What to do: install kubectl (https://kubernetes.io/docs/tasks/tools/).`,
      );
    }
    log(`existing: kubectl found; k6: ${await provideK6({ log })}`);
  }

  async up(options: UpOptions = {}): Promise<StartedLab> {
    const log = options.log ?? this.deps.log;
    await fs.mkdir(this.deps.stateDir, { recursive: true });
    const context = await this.freezeCurrentContext();
    log(`existing: using kubeconfig context "${context}" (frozen into ${this.paths.kubeconfig})`);

    const server = await this.kubectl.getJson<{ serverVersion?: { gitVersion?: string } }>(["version"], {
      what: `reach the API server of context "${context}"`,
      hint: "check the context with `kubectl cluster-info` (VPN, credentials, expired token)",
      timeoutMs: 30_000,
    });

    const problems = await this.prerequisiteProblems();
    const images = await this.imagesMissingOnNodes();
    if (images.length > 0) {
      throw new Error(
        `images the lab deploys are on none of the cluster's nodes, and they are built locally, not pulled: ${images.join(", ")}.\n` +
          "What to do: load them onto the nodes before `lab up` (kind: `kind load docker-image <image> --name <cluster>`; " +
          "others: push them to a registry your nodes pull from and pre-pull them, e.g. with a DaemonSet), then run lab up again. Nothing was applied.",
      );
    }
    const kafka = await this.kafkaSource(problems.Strimzi, context);
    if (problems["Argo Rollouts"].length > 0) {
      log(`existing: Argo Rollouts is not usable (${problems["Argo Rollouts"].join("; ")}): scenarios that need it will be skipped, the rest run`);
    }

    const manifests = renderKindLabManifests();
    await this.kubectl.apply(manifests.namespaces, { what: "apply cluster/manifests/namespaces.yaml", hint: "you need permission to create namespaces (or ask for them to be created)" });
    const nodeIds = kafka.kind === "strimzi" ? await this.strimziTopics(manifests) : await this.deps.ensureTopics(kafka.host);
    log(`existing: Kafka (${kafka.operator}) with node ids ${nodeIds.join(", ")}; topics ${LAB_TOPICS.map((topic) => topic.topic).join(", ")} ready`);

    await this.kubectl.apply(
      [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: KAFKA_CONFIGMAP.name, namespace: KAFKA_CONFIGMAP.namespace, labels: { "app.kubernetes.io/part-of": "streamforge-chaoslab" } },
          data: { workloads: kafka.workloads.join(","), instruments: kafka.instruments.join(",") },
        },
      ],
      { what: `apply ConfigMap ${KAFKA_CONFIGMAP.namespace}/${KAFKA_CONFIGMAP.name}`, hint: `you need permission to create configmaps in ${KAFKA_CONFIGMAP.namespace}` },
    );

    const toxiproxyApi = this.deps.env.CHAOSLAB_TOXIPROXY_API?.trim();
    const description = labDescriptionSchema.parse({
      provider: "existing",
      stateDir: this.deps.stateDir,
      kubeconfig: this.paths.kubeconfig,
      apiServer: await this.apiServerUrl(),
      kafka: { bootstrapDirect: kafka.host, bootstrapWorkloads: kafka.workloads, nodeIds, brokers: kafka.brokers },
      toxiproxy: toxiproxyApi ? { api: toxiproxyApi } : undefined,
      namespaces: manifests.namespaces.map((namespace) => namespace.metadata.name),
      features: { argoRollouts: problems["Argo Rollouts"].length === 0 },
      versions: { kubernetesServer: server.serverVersion?.gitVersion ?? "unknown", kafka: kafka.version, kafkaOperator: kafka.operator, context },
      startedAt: new Date(this.deps.clock.now()).toISOString(),
    } satisfies LabDescriptionInput);
    await fs.writeFile(this.paths.labJson, `${JSON.stringify(description, null, 2)}\n`);
    log(`existing: lab described in ${this.paths.labJson}`);
    return this.startedLab(description);
  }

  private async freezeCurrentContext(): Promise<string> {
    const client = await this.deps.runner({ command: "kubectl", args: ["version", "--client", "-o", "json"], timeoutMs: 30_000 });
    if (client.exitCode !== 0) {
      throw new Error(
        `kubectl is not usable (${client.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : client.stderr.trim()}). What to do: install kubectl (https://kubernetes.io/docs/tasks/tools/).`,
      );
    }
    const context = (
      await runOrThrow(this.deps.runner, { command: "kubectl", args: ["config", "current-context"], timeoutMs: 30_000 }, {
        what: "read the current kubeconfig context",
        hint: "select the cluster with `kubectl config use-context <name>` (or set KUBECONFIG)",
      })
    ).trim();
    const kubeconfig = await runOrThrow(
      this.deps.runner,
      { command: "kubectl", args: ["config", "view", "--minify", "--flatten", "--context", context], timeoutMs: 30_000 },
      { what: `export kubeconfig context "${context}"`, hint: "check the kubeconfig file (`kubectl config view`)" },
    );
    await fs.writeFile(this.paths.kubeconfig, kubeconfig, { mode: 0o600 });
    return context;
  }

  /** What is missing per operator, in one pass (not one round trip per missing thing). */
  async prerequisiteProblems(): Promise<Record<keyof typeof REQUIRED_API_RESOURCES, string[]>> {
    const problems: Record<keyof typeof REQUIRED_API_RESOURCES, string[]> = { Strimzi: [], "Argo Rollouts": [] };
    const resources = new Set(
      (await this.kubectl.run(["api-resources", "-o", "name"], { what: "list the API resources of the cluster", hint: "check the context's permissions", timeoutMs: 60_000 }))
        .split("\n")
        .map((line) => line.trim()),
    );
    const versions = new Set(
      (await this.kubectl.run(["api-versions"], { what: "list the API versions of the cluster", hint: "check the context's permissions" })).split("\n").map((line) => line.trim()),
    );
    for (const [owner, needed] of Object.entries(REQUIRED_API_RESOURCES) as [keyof typeof REQUIRED_API_RESOURCES, readonly string[]][]) {
      const absent = needed.filter((resource) => !resources.has(resource));
      if (absent.length > 0) problems[owner].push(`${owner} CRDs ${absent.join(", ")} — ${INSTALL_HINTS[owner]}`);
    }
    if (resources.has("kafkas.kafka.strimzi.io") && !versions.has("kafka.strimzi.io/v1")) {
      const served = [...versions].filter((version) => version.startsWith("kafka.strimzi.io/"));
      problems.Strimzi.push(`kafka.strimzi.io/v1 is not served (found ${served.join(", ") || "none"}) — upgrade Strimzi to ${pinnedVersions.strimzi}`);
    }
    for (const [owner, deployment] of [
      ["Strimzi", STRIMZI_OPERATOR_DEPLOYMENT],
      ["Argo Rollouts", ARGO_ROLLOUTS_DEPLOYMENT],
    ] as const) {
      const found = await this.kubectl.getJson<{ items: { metadata: { namespace: string }; status?: { availableReplicas?: number } }[] }>(
        ["get", "deployments", "--all-namespaces", "--field-selector", `metadata.name=${deployment}`],
        { what: `look for deployment ${deployment}`, hint: "you need permission to list deployments in all namespaces" },
      );
      if (found.items.length === 0) {
        problems[owner].push(`${owner} controller: no deployment named ${deployment} in any namespace — ${INSTALL_HINTS[owner]}`);
      } else if (!found.items.some((item) => (item.status?.availableReplicas ?? 0) >= 1)) {
        problems[owner].push(
          `${owner} controller: deployment ${found.items.map((item) => `${item.metadata.namespace}/${deployment}`).join(", ")} has no available replica — look at its pods`,
        );
      }
    }
    return problems;
  }

  /** Lab images (every tag the scenarios use) that no node has: they cannot be pulled from anywhere. */
  private async imagesMissingOnNodes(): Promise<string[]> {
    const nodes = await this.kubectl.getJson<{ items: { status?: { images?: { names?: string[] }[] } }[] }>(["get", "nodes"], {
      what: "list the cluster's nodes and the images they hold",
      hint: "you need permission to list nodes",
    });
    const present = new Set(nodes.items.flatMap((node) => (node.status?.images ?? []).flatMap((image) => image.names ?? [])));
    const has = (reference: string) => present.has(reference) || present.has(`docker.io/${reference}`) || present.has(`docker.io/library/${reference}`);
    return labImageReferences().filter((reference) => !has(reference));
  }

  /**
   * Where Kafka is: a Strimzi Kafka (CHAOSLAB_KAFKA, default kafka/chaoslab) when Strimzi runs and it
   * exists; else Kafka given by bootstrap servers (CHAOSLAB_KAFKA_BOOTSTRAP) — brokers in a StatefulSet
   * (CHAOSLAB_KAFKA_BROKERS) or out of the lab's reach (broker faults then skipped).
   */
  private async kafkaSource(strimziProblems: string[], context: string): Promise<KafkaSource> {
    const env = this.deps.env;
    const strimziKafka = strimziProblems.length === 0 ? await this.strimziKafka() : undefined;
    if (strimziKafka) {
      const bootstraps = this.bootstraps(strimziKafka);
      return {
        kind: "strimzi",
        resource: strimziKafka,
        host: bootstraps.host,
        workloads: bootstraps.workloads,
        instruments: bootstraps.instruments,
        brokers: { kind: "strimzi", namespace: this.kafkaRef.namespace, name: this.kafkaRef.name },
        operator: `Strimzi (Kafka ${this.kafkaRef.namespace}/${this.kafkaRef.name})`,
        version: strimziKafka.status?.kafkaVersion ?? "unknown",
      };
    }
    const host = splitList(env.CHAOSLAB_KAFKA_BOOTSTRAP);
    if (host.length === 0) {
      const why = strimziProblems.length > 0 ? strimziProblems.map((line) => `  - ${line}`).join("\n") : `  - there is no Strimzi Kafka ${this.kafkaRef.namespace}/${this.kafkaRef.name}`;
      throw new Error(
        `the cluster of context "${context}" has no Kafka the lab can use:\n${why}\n` +
          "What to do: either point CHAOSLAB_KAFKA=<namespace>/<name> at a Strimzi Kafka, or give your Kafka by address: " +
          "CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,...> (reachable from this machine), CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP=<host:port,...> (what pods dial; default the same) " +
          "and, for broker faults, CHAOSLAB_KAFKA_BROKERS=<namespace>/<label selector>[@<first node id>] (the brokers' StatefulSet pods).",
      );
    }
    const inCluster = splitList(env.CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP);
    const brokers = parseBrokerPods(env.CHAOSLAB_KAFKA_BROKERS);
    return {
      kind: "bootstrap",
      host,
      workloads: inCluster.length > 0 ? inCluster : host,
      instruments: inCluster.length > 0 ? inCluster : host,
      brokers: brokers ?? { kind: "unreachable", reason: "Kafka was given by address only (CHAOSLAB_KAFKA_BOOTSTRAP): the lab cannot stop its brokers. Set CHAOSLAB_KAFKA_BROKERS=<namespace>/<label selector> to allow broker faults." },
      operator: brokers ? `StatefulSet (pods ${brokers.namespace}/${brokers.selector})` : "outside the lab's reach (by address)",
      version: "unknown",
    };
  }

  private async strimziKafka(): Promise<KafkaResource | undefined> {
    const { namespace, name } = this.kafkaRef;
    const stdout = await this.kubectl.run(["get", "kafkas.kafka.strimzi.io", name, "--namespace", namespace, "--ignore-not-found", "-o", "json"], {
      what: `read Kafka ${namespace}/${name}`,
      hint: "check the context's permissions",
    });
    return stdout.trim() === "" ? undefined : this.readyKafka(JSON.parse(stdout) as KafkaResource);
  }

  /** The lab's KafkaTopics in the Strimzi Kafka's namespace, Ready; returns the node ids. */
  private async strimziTopics(manifests: ReturnType<typeof renderKindLabManifests>): Promise<number[]> {
    const topics = manifests.topics.map((topic) => retargetTopic(topic, this.kafkaRef));
    await this.kubectl.apply(topics, {
      what: `apply the lab's KafkaTopics into ${this.kafkaRef.namespace}`,
      hint: `you need permission to create kafkatopics in namespace ${this.kafkaRef.namespace}`,
    });
    await this.kubectl.run(
      ["wait", "--for=condition=Ready", "--timeout=180s", "--namespace", this.kafkaRef.namespace, ...topics.map((topic) => `kafkatopics.kafka.strimzi.io/${topic.metadata.name}`)],
      {
        what: `wait for the lab's KafkaTopics in ${this.kafkaRef.namespace}`,
        hint: `check that the Kafka ${this.kafkaRef.name} runs a Topic Operator (spec.entityOperator.topicOperator) and look at the KafkaTopics' status`,
        timeoutMs: 200_000,
      },
    );
    const brokers = new StrimziBrokerHandles(this.kubectl, { namespace: this.kafkaRef.namespace, kafkaName: this.kafkaRef.name }, this.deps.clock);
    return (await brokers.list()).map((broker) => broker.nodeId);
  }

  /** A Strimzi Kafka that exists must be Ready: a broken one is an error, not a reason to look elsewhere. */
  private readyKafka(kafka: KafkaResource): KafkaResource {
    const { namespace, name } = this.kafkaRef;
    const ready = findCondition(kafka, "Ready");
    if (ready?.status !== "True") {
      throw new Error(
        `Kafka ${namespace}/${name} is not Ready (${ready ? `${ready.reason ?? ready.status}: ${ready.message ?? ""}` : "no Ready condition"}).\n` +
          `What to do: \`kubectl -n ${namespace} describe kafka ${name}\` and the Strimzi operator's log.`,
      );
    }
    return kafka;
  }

  private bootstraps(kafka: KafkaResource): { instruments: string[]; workloads: string[]; host: string[] } {
    const listeners = kafka.spec.kafka.listeners;
    const statusOf = (listener: KafkaListener | undefined) =>
      listener ? kafka.status?.listeners?.find((status) => status.name === listener.name)?.bootstrapServers?.split(",") : undefined;
    const plainInternal = listeners.filter((listener) => !listener.tls && (listener.type === "internal" || listener.type === "cluster-ip"));
    const direct = plainInternal.find((listener) => listener.name === "direct") ?? plainInternal.find((listener) => listener.name !== "apps");
    const instruments = statusOf(direct);
    if (!instruments) {
      throw new Error(
        `Kafka ${kafka.metadata.namespace}/${kafka.metadata.name} has no internal listener without TLS (the lab's clients do not do TLS/SASL yet); ` +
          `listeners: ${listeners.map((listener) => `${listener.name}(${listener.type}${listener.tls ? ", tls" : ""})`).join(", ")}.\nWhat to do: add one (see the "direct" listener in cluster/manifests/kind/kafka.yaml).`,
      );
    }
    const workloads = statusOf(listeners.find((listener) => listener.name === "apps" && !listener.tls)) ?? instruments;
    const override = this.deps.env.CHAOSLAB_KAFKA_BOOTSTRAP?.trim();
    const external = listeners.find((listener) => !listener.tls && ["nodeport", "loadbalancer", "ingress", "route"].includes(listener.type));
    const host = override ? override.split(",").map((address) => address.trim()) : statusOf(external);
    if (!host || host.length === 0) {
      throw new Error(
        `Kafka ${kafka.metadata.namespace}/${kafka.metadata.name} has no listener the harness can reach from this machine (a nodeport/loadbalancer/ingress/route listener without TLS).\n` +
          "What to do: add one, or set CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,...> to an address that reaches the brokers from here.",
      );
    }
    return { instruments, workloads, host };
  }

  private async apiServerUrl(): Promise<string> {
    const kubeconfig = parse(await fs.readFile(this.paths.kubeconfig, "utf8")) as { clusters?: { cluster?: { server?: string } }[] };
    return kubeconfig.clusters?.[0]?.cluster?.server ?? "unknown";
  }

  private startedLab(description: LabDescription): StartedLab {
    const brokers = brokerHandles(this.kubectl, description.kafka.brokers, this.deps.clock);
    const brokerPaths = parseKafkaPaths(this.deps.env.CHAOSLAB_KAFKA_PATHS);
    const network: KafkaNetworkHandles = description.toxiproxy
      ? new ToxiproxyNetworkHandles(
          description.toxiproxy.api,
          new Map(description.kafka.nodeIds.map((id) => [id, `kafka-broker-${id}`])),
          async () => brokerPaths ?? Promise.reject(new UnsupportedCapabilityError(NO_PATHS)),
          this.deps.fetch,
        )
      : unsupportedNetwork;
    const kubectl = this.kubectl;
    const kafkaRef = this.kafkaRef;
    const paths = this.paths;
    const log = this.deps.log;
    return {
      description,
      brokers,
      network,
      services: realClusterServices(description.kubeconfig),
      tools: { k6: (options) => provideK6(options) },
      async status(): Promise<Record<string, ComponentHealth>> {
        const { health, guard } = healthCollector();
        if (description.kafka.brokers?.kind === "strimzi") {
          await guard("kafka", async () => {
            const kafka = await kubectl.getJson<KafkaResource>(["get", "kafkas.kafka.strimzi.io", kafkaRef.name, "--namespace", kafkaRef.namespace], {
              what: `read Kafka ${kafkaRef.namespace}/${kafkaRef.name}`,
              hint: "check the cluster is reachable",
            });
            const ready = findCondition(kafka, "Ready");
            return { healthy: ready?.status === "True", detail: ready ? `Ready=${ready.status}` : "no Ready condition" };
          });
        }
        await guard("kafka-brokers", async () => {
          const down = (await brokers.list()).filter((broker) => !broker.running).map((broker) => broker.nodeId);
          return { healthy: down.length === 0, detail: down.length === 0 ? "all running" : `not running: ${down.join(", ")}` };
        });
        const operators = [
          ...(description.kafka.brokers?.kind === "strimzi" ? [STRIMZI_OPERATOR_DEPLOYMENT] : []),
          ...(description.features.argoRollouts ? [ARGO_ROLLOUTS_DEPLOYMENT] : []),
        ];
        for (const deployment of operators) {
          await guard(deployment, async () => {
            const found = await kubectl.getJson<{ items: { metadata: { namespace: string } }[] }>(
              ["get", "deployments", "--all-namespaces", "--field-selector", `metadata.name=${deployment}`],
              { what: `look for deployment ${deployment}`, hint: "check the cluster is reachable" },
            );
            const namespace = found.items[0]?.metadata.namespace;
            return namespace ? deploymentHealth(kubectl, namespace, deployment) : { healthy: false, detail: "not found" };
          });
        }
        return health;
      },
      async down() {
        // Not our cluster: nothing in it is deleted (the lab's topics and ConfigMap stay for the next run).
        await fs.rm(paths.labJson, { force: true });
        log("existing: lab detached; nothing was deleted from the cluster");
      },
    };
  }
}

const unsupportedNetwork: KafkaNetworkHandles = {
  addToxic: () => Promise.reject(networkUnsupported()),
  removeToxic: () => Promise.reject(networkUnsupported()),
  listToxics: () => Promise.resolve([]),
  brokerPaths: () => Promise.reject(networkUnsupported()),
};

const NO_PATHS =
  "network faults on CLUSTER=existing prove their effect by dialling each broker through its Toxiproxy proxy and directly from this machine, " +
  "and the cluster publishes no such addresses here. What to do: expose them and set CHAOSLAB_KAFKA_PATHS=<nodeId>=<proxy host:port>/<direct host:port>,...";

/** `1=10.0.0.5:30491/10.0.0.5:30091,2=...` → per broker paths; undefined when unset. */
export function parseKafkaPaths(value: string | undefined): BrokerPaths[] | undefined {
  if (!value?.trim()) return undefined;
  return value.split(",").map((entry) => {
    const match = /^\s*(\d+)=([^/:]+):(\d+)\/([^/:]+):(\d+)\s*$/.exec(entry);
    if (!match) throw new Error(`CHAOSLAB_KAFKA_PATHS: "${entry}" is not <nodeId>=<proxy host:port>/<direct host:port>`);
    return { nodeId: Number(match[1]), workloads: { host: match[2]!, port: Number(match[3]) }, direct: { host: match[4]!, port: Number(match[5]) } };
  });
}

function networkUnsupported(): Error {
  return new UnsupportedCapabilityError(
    "network faults on CLUSTER=existing need Toxiproxy in front of the brokers. What to do: deploy cluster/manifests/kind/toxiproxy.yaml " +
      "(proxies kafka-broker-<nodeId>), make workloads dial it (an `apps` listener advertising the proxies, as in cluster/manifests/kind/kafka.yaml), " +
      "expose its API to this machine and set CHAOSLAB_TOXIPROXY_API=<url>; then run lab up again.",
  );
}

export function parseKafkaRef(value: string | undefined): { namespace: string; name: string } {
  if (!value?.trim()) return { namespace: "kafka", name: "chaoslab" };
  const match = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(value.trim());
  if (!match) throw new Error(`CHAOSLAB_KAFKA=${value} is not <namespace>/<name> (e.g. kafka/chaoslab)`);
  return { namespace: match[1]!, name: match[2]! };
}

function retargetTopic(topic: KubeObject, kafka: { namespace: string; name: string }): KubeObject {
  return {
    ...topic,
    metadata: { ...topic.metadata, namespace: kafka.namespace, labels: { ...topic.metadata.labels, "strimzi.io/cluster": kafka.name } },
  };
}

type KafkaSource = {
  host: string[];
  workloads: string[];
  instruments: string[];
  brokers: NonNullable<LabDescription["kafka"]["brokers"]>;
  /** For the report's environment: who runs Kafka here. */
  operator: string;
  version: string;
} & ({ kind: "strimzi"; resource: KafkaResource } | { kind: "bootstrap" });

function splitList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

/** `<namespace>/<label selector>[@<first node id>]`, e.g. `kafka/app=kafka@1`. */
export function parseBrokerPods(value: string | undefined): { kind: "statefulset"; namespace: string; selector: string; firstNodeId: number } | undefined {
  if (!value?.trim()) return undefined;
  const match = /^([a-z0-9-]+)\/([^@]+?)(?:@(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`CHAOSLAB_KAFKA_BROKERS=${value} is not <namespace>/<label selector>[@<first node id>] (e.g. kafka/app=kafka@1)`);
  return { kind: "statefulset", namespace: match[1]!, selector: match[2]!, firstNodeId: Number(match[3] ?? 0) };
}

/** Broker handles for whoever keeps the brokers; where the lab cannot reach them, every call says why. */
function brokerHandles(kubectl: Kubectl, brokers: LabDescription["kafka"]["brokers"], clock: Clock): KafkaBrokerHandles {
  if (brokers?.kind === "strimzi") return new StrimziBrokerHandles(kubectl, { namespace: brokers.namespace, kafkaName: brokers.name }, clock);
  if (brokers?.kind === "statefulset") return new StatefulSetBrokerHandles(kubectl, brokers, clock);
  const reason = brokers?.kind === "unreachable" ? brokers.reason : "the lab description says nothing about who keeps the brokers: run `lab up` again";
  const refuse = () => Promise.reject(new UnsupportedCapabilityError(`broker faults on this cluster: ${reason}`));
  return { list: async () => [], kill: refuse, start: refuse };
}
