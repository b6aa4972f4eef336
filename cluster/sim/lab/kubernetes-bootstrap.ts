/**
 * What the sim's fresh API server gets before workloads can run: the lab's namespaces, the kwok nodes
 * pods are scheduled on, ConfigMap streamforge-kafka, Argo Rollouts' CRDs, and a wait for each
 * namespace's `default` ServiceAccount (pods are rejected until it exists) and for the nodes to be Ready.
 */
import fs from "node:fs/promises";
import path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { apiErrorCode, apiErrorMessage, applyObjects, readManifests } from "../../kube/apply.ts";
import { FAKE_NODE_NAMES, KAFKA_LANES, NAMESPACES } from "../layout.ts";
import { bootstrapDirect, bootstrapWorkloads } from "../kafka-nodes.ts";
import { type Supervisor, waitUntil } from "../supervisor.ts";
import { STREAMFORGE_NAMESPACE } from "../../../workloads/queue-events/namespace.ts";
import { kafkaWorkloadsKey } from "../../../workloads/manifests/loader-job.ts";
import { elapsed } from "./http-probes.ts";

export async function bootstrapKubernetes(config: k8s.KubeConfig, kubeDir: string, log: (line: string) => void, started: number) {
  const core = config.makeApiClient(k8s.CoreV1Api);
  // Namespaces and nodes depend on nothing; the ConfigMap needs its namespace.
  const independent: k8s.KubernetesObject[] = [
    ...NAMESPACES.map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })),
    ...FAKE_NODE_NAMES.map((name) => fakeNode(name)),
  ];
  const kafkaConfigMap: k8s.V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "streamforge-kafka", namespace: STREAMFORGE_NAMESPACE },
    data: {
      [kafkaWorkloadsKey()]: bootstrapWorkloads().join(","),
      ...Object.fromEntries(KAFKA_LANES.map((lane) => [kafkaWorkloadsKey(lane), bootstrapWorkloads(lane).join(",")])),
      instruments: bootstrapDirect().join(","),
    },
  };
  const crdDir = path.join(kubeDir, "crds");
  // The folder also holds a kustomization.yaml: keep only the CRDs.
  const crds = (await Promise.all((await fs.readdir(crdDir)).filter((file) => file.endsWith(".yaml")).map((file) => readManifests(path.join(crdDir, file)))))
    .flat()
    .filter((object) => object.kind === "CustomResourceDefinition");
  // Everything that depends on nothing goes at once (the CRDs too): a fresh API server answers each
  // request slowly, not busily (see applyObjects).
  await Promise.all([
    applyObjects(config, independent, { concurrently: true }).then(() => applyObjects(config, [kafkaConfigMap as k8s.KubernetesObject])),
    applyObjects(config, crds, { concurrently: true }),
  ]);
  log(`[lab] namespaces, ${FAKE_NODE_NAMES.length} kwok nodes, Argo Rollouts CRDs (${crds.length}) applied (${elapsed(started)})`);
  // Pods are rejected until the ServiceAccount controller has made each namespace's `default` account.
  const deadline = Date.now() + 60_000;
  for (const namespace of NAMESPACES) {
    for (;;) {
      try {
        await core.readNamespacedServiceAccount({ name: "default", namespace });
        break;
      } catch (error) {
        if (apiErrorCode(error) !== 404) throw new Error(`reading ServiceAccount ${namespace}/default: ${apiErrorMessage(error)}`);
        if (Date.now() > deadline) throw new Error(`ServiceAccount ${namespace}/default was not created within 60 s: is kube-controller-manager running? See its log.`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}

function fakeNode(name: string): k8s.V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    spec: {},
    status: {
      allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
      capacity: { cpu: "32", memory: "256Gi", pods: "110" },
      nodeInfo: {
        architecture: "amd64",
        bootID: "",
        containerRuntimeVersion: "kwok",
        kernelVersion: "",
        kubeProxyVersion: "kwok",
        kubeletVersion: "kwok",
        machineID: "",
        operatingSystem: "linux",
        osImage: "",
        systemUUID: "",
      },
      phase: "Running",
    },
  };
}

export async function waitForNodesReady(config: k8s.KubeConfig, supervisor: Supervisor) {
  const core = config.makeApiClient(k8s.CoreV1Api);
  await waitUntil(
    supervisor,
    "kwok",
    `managing ${FAKE_NODE_NAMES.length} Ready nodes`,
    async () => {
      const nodes = await core.listNode();
      const ready = nodes.items.filter((node) => node.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"));
      return ready.length >= FAKE_NODE_NAMES.length;
    },
    60_000,
  );
}
