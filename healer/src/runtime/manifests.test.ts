/** The deployment manifests agree with the healer's code and with the requirements (RBAC, probes, identity, non-root). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { findLabImage } from "../../../cluster/images.ts";
import { loadConfig } from "./config.ts";

const manifestsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../manifests");

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function load(): Manifest[] {
  const kustomization = parseAllDocuments(fs.readFileSync(path.join(manifestsDir, "kustomization.yaml"), "utf8"))[0]!.toJS() as { resources: string[] };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(manifestsDir, file), "utf8")).map((document) => {
      expect(document.errors).toEqual([]);
      return document.toJS() as Manifest;
    }),
  );
}

const manifests = load();
const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);

describe("healer manifests", () => {
  it("everything lives in namespace streamforge", () => {
    for (const manifest of manifests) expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name}`).toBe("streamforge");
  });

  it("the Role grants exactly what the healer needs", () => {
    const [role] = byKind("Role") as Array<Manifest & { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }> }>;
    const grants = role!.rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group || "core"}/${resource}:${verb}`))),
    );
    expect(grants.sort()).toEqual(
      [
        "batch/jobs:get",
        "batch/jobs:list",
        "batch/jobs:watch",
        "batch/jobs:create",
        "batch/jobs:delete",
        "batch/jobs:patch",
        "core/pods:get",
        "core/pods:list",
        "core/pods:watch",
        "core/events:create",
        "core/events:patch",
        "events.k8s.io/events:create",
        "events.k8s.io/events:patch",
        "coordination.k8s.io/leases:create",
        "coordination.k8s.io/leases:get",
        "coordination.k8s.io/leases:update",
      ].sort(),
    );
    expect(byKind("ClusterRole")).toEqual([]);
    const [binding] = byKind("RoleBinding") as Array<Manifest & { subjects: Array<{ name: string }>; roleRef: { name: string } }>;
    expect(binding!.roleRef.name).toBe("healer");
    expect(binding!.subjects).toEqual([{ kind: "ServiceAccount", name: "healer", namespace: "streamforge" }]);
  });

  it("the ConfigMap is a valid healer configuration (with the Kafka address the Deployment adds)", () => {
    const [configMap] = byKind("ConfigMap") as Array<Manifest & { data: Record<string, string> }>;
    const result = loadConfig({ ...configMap!.data, KAFKA_BROKERS: "kafka-0.kafka:9092" });
    expect(result.ok ? "valid" : result.message).toBe("valid");
  });

  it("the Deployment runs two non-root replicas of the lab image with probes, identity and the direct Kafka listener", () => {
    const [deployment] = byKind("Deployment") as Array<Manifest & { spec: any }>;
    const spec = deployment!.spec;
    expect(spec.replicas).toBe(2);
    const pod = spec.template.spec;
    expect(pod.serviceAccountName).toBe("healer");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    const [container] = pod.containers;
    expect(findLabImage(container.image)).toMatchObject({ repository: "chaoslab/healer", tag: "dev", entry: "healer/src/main.ts" });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.envFrom).toEqual([{ configMapRef: { name: "healer-config" } }]);
    const env = Object.fromEntries(container.env.map((entry: { name: string; valueFrom: unknown }) => [entry.name, entry.valueFrom]));
    expect(env.KAFKA_BROKERS).toEqual({ configMapKeyRef: { name: "streamforge-kafka", key: "instruments" } });
    expect(env.LISTEN_HOST).toEqual({ fieldRef: { fieldPath: "status.podIP" } });
    expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    // The kubelet's SIGKILL must come after the healer's own shutdown bound.
    const [configMap] = byKind("ConfigMap") as Array<Manifest & { data: Record<string, string> }>;
    const shutdown = loadConfig({ ...configMap!.data, KAFKA_BROKERS: "k:1" });
    expect(shutdown.ok && shutdown.config.shutdownTimeoutMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
  });

  it("a Service exposes the metrics port of every replica", () => {
    const [service] = byKind("Service") as Array<Manifest & { spec: any }>;
    expect(service!.spec.selector).toEqual({ "app.kubernetes.io/name": "healer" });
    expect(service!.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
  });
});
