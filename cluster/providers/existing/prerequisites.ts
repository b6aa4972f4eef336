/**
 * What the existing provider checks before it writes anything to someone else's cluster: the Strimzi
 * and Argo Rollouts CRDs, API versions and running controllers (all problems found in one pass, each
 * with how to install what is missing), and the lab's images on the nodes (they are never pulled).
 */
import pinnedVersions from "../../versions.json" with { type: "json" };
import { labImageReferences } from "../../images.ts";
import { ARGO_ROLLOUTS_DEPLOYMENT, STRIMZI_OPERATOR_DEPLOYMENT } from "../../kind/config.ts";
import type { Kubectl } from "../../kind/kubectl.ts";

/** Resources (resource.group, as `kubectl api-resources -o name` prints them) the lab needs, by owner. */
const REQUIRED_API_RESOURCES = {
  Strimzi: ["kafkas.kafka.strimzi.io", "kafkanodepools.kafka.strimzi.io", "kafkatopics.kafka.strimzi.io", "strimzipodsets.core.strimzi.io"],
  "Argo Rollouts": ["rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"],
} as const;

const INSTALL_HINTS = {
  Strimzi: `install Strimzi ${pinnedVersions.strimzi} (https://strimzi.io/docs/operators/latest/deploying, or the release file strimzi-cluster-operator-${pinnedVersions.strimzi}.yaml) — the lab needs kafka.strimzi.io/v1 (Strimzi >= 0.49)`,
  "Argo Rollouts": `install Argo Rollouts ${pinnedVersions.argoRollouts} (kubectl create namespace argo-rollouts; kubectl apply -n argo-rollouts --server-side -f https://github.com/argoproj/argo-rollouts/releases/download/${pinnedVersions.argoRollouts}/install.yaml)`,
} as const;

/** What is missing per operator, in one pass (not one round trip per missing thing). */
export async function prerequisiteProblems(kubectl: Kubectl): Promise<Record<keyof typeof REQUIRED_API_RESOURCES, string[]>> {
  const problems: Record<keyof typeof REQUIRED_API_RESOURCES, string[]> = { Strimzi: [], "Argo Rollouts": [] };
  const resources = new Set(
    (await kubectl.run(["api-resources", "-o", "name"], { what: "list the API resources of the cluster", hint: "check the context's permissions", timeoutMs: 60_000 }))
      .split("\n")
      .map((line) => line.trim()),
  );
  const versions = new Set(
    (await kubectl.run(["api-versions"], { what: "list the API versions of the cluster", hint: "check the context's permissions" })).split("\n").map((line) => line.trim()),
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
    const found = await kubectl.getJson<{ items: { metadata: { namespace: string }; status?: { availableReplicas?: number } }[] }>(
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
export async function imagesMissingOnNodes(kubectl: Kubectl): Promise<string[]> {
  const nodes = await kubectl.getJson<{ items: { status?: { images?: { names?: string[] }[] } }[] }>(["get", "nodes"], {
    what: "list the cluster's nodes and the images they hold",
    hint: "you need permission to list nodes",
  });
  const present = new Set(nodes.items.flatMap((node) => (node.status?.images ?? []).flatMap((image) => image.names ?? [])));
  const has = (reference: string) => present.has(reference) || present.has(`docker.io/${reference}`) || present.has(`docker.io/library/${reference}`);
  return labImageReferences().filter((reference) => !has(reference));
}

