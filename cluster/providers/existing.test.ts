import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeCommandRunner, appliedObjects } from "../testing/fake-command-runner.ts";
import { createProvider } from "./existing.ts";
import { parseKafkaRef } from "./existing/kafka-source.ts";
import { UnsupportedCapabilityError } from "../provider.ts";
import { labImageReferences } from "../images.ts";

const API_RESOURCES = [
  "pods",
  "deployments.apps",
  "kafkas.kafka.strimzi.io",
  "kafkanodepools.kafka.strimzi.io",
  "kafkatopics.kafka.strimzi.io",
  "strimzipodsets.core.strimzi.io",
  "rollouts.argoproj.io",
  "analysistemplates.argoproj.io",
  "analysisruns.argoproj.io",
].join("\n");

const KAFKA = {
  metadata: { name: "main", namespace: "data" },
  spec: {
    kafka: {
      listeners: [
        { name: "plain", port: 9092, type: "internal", tls: false },
        { name: "tls", port: 9093, type: "internal", tls: true },
        { name: "external", port: 9094, type: "loadbalancer", tls: false },
      ],
    },
  },
  status: {
    kafkaVersion: "4.3.1",
    conditions: [{ type: "Ready", status: "True" }],
    listeners: [
      { name: "plain", bootstrapServers: "main-kafka-bootstrap.data.svc:9092" },
      { name: "tls", bootstrapServers: "main-kafka-bootstrap.data.svc:9093" },
      { name: "external", bootstrapServers: "10.0.0.5:9094" },
    ],
  },
};

function stagingRunner(): FakeCommandRunner {
  return new FakeCommandRunner()
    .on("kubectl version --client", { stdout: "{}" })
    .on("kubectl config current-context", { stdout: "staging\n" })
    .on("kubectl config view --minify --flatten --context staging", { stdout: "apiVersion: v1\nclusters:\n  - cluster:\n      server: https://staging.example:6443\n" })
    .on("kubectl version -o json", { stdout: JSON.stringify({ serverVersion: { gitVersion: "v1.33.2" } }) })
    .on("kubectl api-resources -o name", { stdout: API_RESOURCES })
    .on("kubectl api-versions", { stdout: "v1\napps/v1\nkafka.strimzi.io/v1\nkafka.strimzi.io/v1beta2\nargoproj.io/v1alpha1\n" })
    .on(/^kubectl get deployments --all-namespaces --field-selector metadata\.name=strimzi-cluster-operator/, {
      stdout: JSON.stringify({ items: [{ metadata: { namespace: "strimzi" }, status: { availableReplicas: 1 } }] }),
    })
    .on(/^kubectl get deployments --all-namespaces --field-selector metadata\.name=argo-rollouts/, {
      stdout: JSON.stringify({ items: [{ metadata: { namespace: "argo-rollouts" }, status: { availableReplicas: 1 } }] }),
    })
    .on("kubectl get kafkas.kafka.strimzi.io main --namespace data --ignore-not-found", { stdout: JSON.stringify(KAFKA) })
    .on("kubectl get strimzipodsets.core.strimzi.io", {
      stdout: JSON.stringify({ items: [{ metadata: { name: "main-brokers" }, spec: { pods: [0, 1, 2].map((id) => ({ metadata: { name: `main-brokers-${id}` } })) } }] }),
    })
    .on("kubectl get pods --namespace data", { stdout: JSON.stringify({ items: [] }) })
    .on("kubectl get nodes", { stdout: JSON.stringify({ items: [{ status: { images: labImageReferences().map((reference) => ({ names: [`docker.io/${reference}`] })) } }] }) });
}

let stateDir: string;
const env = { CHAOSLAB_KAFKA: "data/main" };

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "existing-provider-"));
});
afterEach(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe("existing provider", () => {
  it("freezes the current context, checks prerequisites, writes only lab-owned objects", async () => {
    const runner = stagingRunner();
    const lab = await createProvider({ runner: runner.run, stateDir, env, log: () => {} }).up();
    expect(runner.lines()).toEqual([
      "kubectl version --client -o json",
      "kubectl config current-context",
      "kubectl config view --minify --flatten --context staging",
      "kubectl version -o json",
      "kubectl api-resources -o name",
      "kubectl api-versions",
      "kubectl get deployments --all-namespaces --field-selector metadata.name=strimzi-cluster-operator -o json",
      "kubectl get deployments --all-namespaces --field-selector metadata.name=argo-rollouts -o json",
      "kubectl get nodes -o json",
      "kubectl get kafkas.kafka.strimzi.io main --namespace data --ignore-not-found -o json",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
      "kubectl wait --for=condition=Ready --timeout=180s --namespace data kafkatopics.kafka.strimzi.io/queue-events kafkatopics.kafka.strimzi.io/loader-data kafkatopics.kafka.strimzi.io/loader-ledger",
      "kubectl get strimzipodsets.core.strimzi.io --namespace data --selector strimzi.io/cluster=main,strimzi.io/kind=Kafka -o json",
      "kubectl get pods --namespace data --selector strimzi.io/cluster=main -o json",
      "kubectl apply --server-side --force-conflicts --field-manager=chaoslab -f -",
    ]);
    // From "kubectl version" on, every call uses the frozen copy of the context, not the user's kubeconfig.
    for (const call of runner.calls.slice(3)) expect(call.args.slice(0, 2)).toEqual(["--kubeconfig", path.join(stateDir, "kubeconfig")]);

    const applied = runner.calls.filter((spec) => spec.args.includes("apply")).map((spec) => appliedObjects(spec.input!));
    const [, topics, configMap] = applied;
    expect(topics!.map((topic) => [topic.metadata.namespace, topic.metadata.labels["strimzi.io/cluster"], topic.metadata.name])).toEqual([
      ["data", "main", "queue-events"],
      ["data", "main", "loader-data"],
      ["data", "main", "loader-ledger"],
    ]);
    expect(configMap![0]!.data).toEqual({ workloads: "main-kafka-bootstrap.data.svc:9092", instruments: "main-kafka-bootstrap.data.svc:9092" });
    expect(lab.description).toMatchObject({
      provider: "existing",
      apiServer: "https://staging.example:6443",
      kafka: { bootstrapDirect: ["10.0.0.5:9094"], bootstrapWorkloads: ["main-kafka-bootstrap.data.svc:9092"], nodeIds: [0, 1, 2] },
      versions: { kubernetesServer: "v1.33.2", kafka: "4.3.1", kafkaOperator: "Strimzi (Kafka data/main)", context: "staging" },
      features: { argoRollouts: true },
    });
    expect(lab.description.toxiproxy).toBeUndefined();
  });

  it("without Strimzi and without a Kafka address, names everything missing in one message, with both ways out", async () => {
    const runner = stagingRunner()
      .on("kubectl api-resources -o name", { stdout: "pods\nrollouts.argoproj.io\nanalysistemplates.argoproj.io\nanalysisruns.argoproj.io\n" })
      .on(/^kubectl get deployments --all-namespaces --field-selector metadata\.name=strimzi-cluster-operator/, { stdout: JSON.stringify({ items: [] }) });
    const error = await createProvider({ runner: runner.run, stateDir, env, log: () => {} })
      .up()
      .then(() => undefined, (caught: Error) => caught);
    expect(error?.message.split("\n")).toEqual([
      'the cluster of context "staging" has no Kafka the lab can use:',
      expect.stringMatching(/^ {2}- Strimzi CRDs kafkas\.kafka\.strimzi\.io, kafkanodepools\.kafka\.strimzi\.io, kafkatopics\.kafka\.strimzi\.io, strimzipodsets\.core\.strimzi\.io — install Strimzi 1\.2\.0/),
      expect.stringMatching(/^ {2}- Strimzi controller: no deployment named strimzi-cluster-operator in any namespace — install Strimzi/),
      expect.stringMatching(/^What to do: either point CHAOSLAB_KAFKA=<namespace>\/<name> at a Strimzi Kafka, or give your Kafka by address: CHAOSLAB_KAFKA_BOOTSTRAP=/),
    ]);
    expect(runner.lines().filter((line) => line.includes("apply"))).toEqual([]);
  });

  it("a Kafka given by address (a plain StatefulSet) and no Argo Rollouts: the lab comes up, broker faults use the StatefulSet, canaries will be skipped", async () => {
    const runner = stagingRunner()
      .on("kubectl api-resources -o name", { stdout: "pods\ndeployments.apps\n" })
      .on(/^kubectl get deployments --all-namespaces/, { stdout: JSON.stringify({ items: [] }) })
      .on("kubectl get pods --namespace kafka --selector app=kafka", {
        stdout: JSON.stringify({ items: [0, 1, 2].map((ordinal) => ({ metadata: { name: `kafka-${ordinal}`, uid: `u${ordinal}` }, status: { phase: "Running", containerStatuses: [{ name: "kafka", state: { running: {} } }] } })) }),
      });
    const lines: string[] = [];
    const lab = await createProvider({
      runner: runner.run,
      ensureTopics: async (bootstrap) => (bootstrap.join(",") === "127.0.0.1:30090" ? [1, 2, 3] : []),
      stateDir,
      env: { CHAOSLAB_KAFKA_BOOTSTRAP: "127.0.0.1:30090", CHAOSLAB_KAFKA_CLUSTER_BOOTSTRAP: "kafka.kafka.svc:9092", CHAOSLAB_KAFKA_BROKERS: "kafka/app=kafka@1" },
      log: (line) => lines.push(line),
    }).up();
    expect(lines.join("\n")).toMatch(/Argo Rollouts is not usable .*scenarios that need it will be skipped, the rest run/);
    expect(lab.description).toMatchObject({
      kafka: { bootstrapDirect: ["127.0.0.1:30090"], bootstrapWorkloads: ["kafka.kafka.svc:9092"], nodeIds: [1, 2, 3], brokers: { kind: "statefulset", namespace: "kafka", selector: "app=kafka", firstNodeId: 1 } },
      features: { argoRollouts: false },
      versions: { kafkaOperator: "StatefulSet (pods kafka/app=kafka)" },
    });
    expect((await lab.brokers.list()).map((broker) => `${broker.nodeId}:${broker.running}`)).toEqual(["1:true", "2:true", "3:true"]);
    await lab.brokers.kill(2, "crash");
    expect(runner.lines().at(-1)).toBe("kubectl delete pod kafka-1 --namespace kafka --wait=true --timeout=60s --grace-period=0 --force");
  });

  it("a Kafka given by address alone: broker faults are refused as unsupported, with the reason", async () => {
    const runner = stagingRunner().on("kubectl api-resources -o name", { stdout: "pods\n" });
    const lab = await createProvider({ runner: runner.run, ensureTopics: async () => [1], stateDir, env: { CHAOSLAB_KAFKA_BOOTSTRAP: "127.0.0.1:30090" }, log: () => {} }).up();
    await expect(lab.brokers.kill(1, "crash")).rejects.toThrow(UnsupportedCapabilityError);
    await expect(lab.brokers.kill(1, "crash")).rejects.toThrow(/Kafka was given by address only/);
  });

  it("names the lab images no node has, before anything is applied", async () => {
    const runner = stagingRunner().on("kubectl get nodes", { stdout: JSON.stringify({ items: [{ status: { images: [{ names: ["docker.io/chaoslab/loader:dev"] }] } }] }) });
    const error = await createProvider({ runner: runner.run, stateDir, env, log: () => {} })
      .up()
      .then(() => undefined, (caught: Error) => caught);
    expect(error?.message).toMatch(/^images the lab deploys are on none of the cluster's nodes, .*chaoslab\/healer:dev/);
    expect(error?.message).not.toMatch(/chaoslab\/loader:dev,/);
    expect(error?.message).toContain("Nothing was applied.");
    expect(runner.lines().filter((line) => line.includes("apply"))).toEqual([]);
  });

  it("a Strimzi too old to serve kafka.strimzi.io/v1", async () => {
    const runner = stagingRunner().on("kubectl api-versions", { stdout: "kafka.strimzi.io/v1beta2\nargoproj.io/v1alpha1\n" });
    await expect(createProvider({ runner: runner.run, stateDir, env, log: () => {} }).up()).rejects.toThrow(
      "kafka.strimzi.io/v1 is not served (found kafka.strimzi.io/v1beta2) — upgrade Strimzi to 1.2.0",
    );
  });

  it("no Kafka of that name", async () => {
    const runner = stagingRunner().on("kubectl get kafkas.kafka.strimzi.io main", { stdout: "" });
    await expect(createProvider({ runner: runner.run, stateDir, env, log: () => {} }).up()).rejects.toThrow(
      /has no Kafka the lab can use:\n {2}- there is no Strimzi Kafka data\/main\nWhat to do: either point CHAOSLAB_KAFKA=<namespace>\/<name> at a Strimzi Kafka/,
    );
  });

  it("no listener reachable from this machine, unless CHAOSLAB_KAFKA_BOOTSTRAP says where", async () => {
    const internalOnly = { ...KAFKA, spec: { kafka: { listeners: KAFKA.spec.kafka.listeners.slice(0, 2) } } };
    const runner = stagingRunner().on("kubectl get kafkas.kafka.strimzi.io main", { stdout: JSON.stringify(internalOnly) });
    await expect(createProvider({ runner: runner.run, stateDir, env, log: () => {} }).up()).rejects.toThrow(/set CHAOSLAB_KAFKA_BOOTSTRAP=<host:port,\.\.\.>/);
    const lab = await createProvider({ runner: runner.run, stateDir, env: { ...env, CHAOSLAB_KAFKA_BOOTSTRAP: "kafka.staging:443" }, log: () => {} }).up();
    expect(lab.description.kafka.bootstrapDirect).toEqual(["kafka.staging:443"]);
  });

  it("network faults without Toxiproxy explain what is needed; down deletes nothing in the cluster", async () => {
    const runner = stagingRunner();
    const lab = await createProvider({ runner: runner.run, stateDir, env, log: () => {} }).up();
    await expect(lab.network.addToxic([0], "t", { kind: "latency", latencyMs: 100, jitterMs: 0, direction: "upstream" })).rejects.toThrow(UnsupportedCapabilityError);
    await expect(lab.network.brokerPaths()).rejects.toThrow(/need Toxiproxy in front of the brokers.*CHAOSLAB_TOXIPROXY_API/);
    const before = runner.calls.length;
    await lab.down();
    expect(runner.calls.length).toBe(before);
    expect(fs.existsSync(path.join(stateDir, "lab.json"))).toBe(false);
  });

  it("parses CHAOSLAB_KAFKA", () => {
    expect(parseKafkaRef(undefined)).toEqual({ namespace: "kafka", name: "chaoslab" });
    expect(parseKafkaRef("data/main")).toEqual({ namespace: "data", name: "main" });
    expect(() => parseKafkaRef("main")).toThrow("CHAOSLAB_KAFKA=main is not <namespace>/<name> (e.g. kafka/chaoslab)");
  });
});
