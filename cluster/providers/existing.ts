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
import { type ClusterProvider, type LabDescription, type LabDescriptionInput, type StartedLab, type UpOptions, labDescriptionSchema } from "../provider.ts";
import { COMMAND_NOT_FOUND, type CommandRunner, runOrThrow, zxCommandRunner } from "../kind/command-runner.ts";
import { KAFKA_CONFIGMAP } from "../kind/config.ts";
import { Kubectl } from "../kind/kubectl.ts";
import { ensureLabTopics } from "../kafka/lab-topics.ts";
import { LAB_TOPICS } from "../topics.ts";
import { REPO_ROOT } from "../images.ts";
import type { Fetch } from "../network/toxiproxy-api.ts";
import { provideK6 } from "../tools/k6.ts";
import { type Clock, systemClock } from "../kind/wait.ts";
import { renderKindLabManifests } from "../manifests/kind-manifests.ts";
import { readLabDescription, type ProviderOptions } from "./registry.ts";
import { imagesMissingOnNodes, prerequisiteProblems } from "./existing/prerequisites.ts";
import { type ExistingKafkaCluster, type KafkaRef, parseKafkaRef, resolveKafkaSource, strimziTopics } from "./existing/kafka-source.ts";
import { existingStartedLab } from "./existing/started-lab.ts";

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

export class ExistingProvider implements ClusterProvider {
  readonly name = "existing" as const;
  private readonly paths: { kubeconfig: string; labJson: string };
  private readonly kubectl: Kubectl;
  private readonly kafkaRef: KafkaRef;

  constructor(private readonly deps: ExistingProviderDeps) {
    this.paths = { kubeconfig: path.join(deps.stateDir, "kubeconfig"), labJson: path.join(deps.stateDir, "lab.json") };
    this.kubectl = new Kubectl(deps.runner, this.paths.kubeconfig);
    this.kafkaRef = parseKafkaRef(deps.env.CHAOSLAB_KAFKA);
  }

  private get kafkaCluster(): ExistingKafkaCluster {
    return { kubectl: this.kubectl, kafkaRef: this.kafkaRef, env: this.deps.env, clock: this.deps.clock };
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

    const problems = await prerequisiteProblems(this.kubectl);
    const images = await imagesMissingOnNodes(this.kubectl);
    if (images.length > 0) {
      throw new Error(
        `images the lab deploys are on none of the cluster's nodes, and they are built locally, not pulled: ${images.join(", ")}.\n` +
          "What to do: load them onto the nodes before `lab up` (kind: `kind load docker-image <image> --name <cluster>`; " +
          "others: push them to a registry your nodes pull from and pre-pull them, e.g. with a DaemonSet), then run lab up again. Nothing was applied.",
      );
    }
    const kafka = await resolveKafkaSource(this.kafkaCluster, problems.Strimzi, context);
    if (problems["Argo Rollouts"].length > 0) {
      log(`existing: Argo Rollouts is not usable (${problems["Argo Rollouts"].join("; ")}): scenarios that need it will be skipped, the rest run`);
    }

    const manifests = renderKindLabManifests();
    await this.kubectl.apply(manifests.namespaces, { what: "apply cluster/manifests/namespaces.yaml", hint: "you need permission to create namespaces (or ask for them to be created)" });
    const nodeIds = kafka.kind === "strimzi" ? await strimziTopics(this.kafkaCluster, manifests) : await this.deps.ensureTopics(kafka.host);
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

  private startedLab(description: LabDescription): StartedLab {
    const { kubectl, kafkaRef, paths } = this;
    const { env, fetch, clock, log } = this.deps;
    return existingStartedLab({ kubectl, kafkaRef, paths, env, fetch, clock, log }, description);
  }

  private async apiServerUrl(): Promise<string> {
    const kubeconfig = parse(await fs.readFile(this.paths.kubeconfig, "utf8")) as { clusters?: { cluster?: { server?: string } }[] };
    return kubeconfig.clusters?.[0]?.cluster?.server ?? "unknown";
  }
}
