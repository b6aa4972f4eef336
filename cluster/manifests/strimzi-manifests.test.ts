/**
 * The kind lab's Strimzi resources (Kafka, KafkaNodePool, KafkaTopic; kafka.strimzi.io/v1) against the
 * openAPIV3Schema of Strimzi's real CRDs — offline, with the structural validator in cluster/testing/crd-schema.ts.
 * The lead's server-side dry-run on the sim API server additionally covers CEL rules and defaulting.
 *
 * The CRDs come from Strimzi's install files (../shared/upstream/strimzi-<version>/install from the
 * project root, or $CHAOSLAB_STRIMZI_INSTALL_DIR). Where that folder is absent these tests are skipped and
 * say so (the project does not copy the files).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../images.ts";
import versions from "../versions.json" with { type: "json" };
import { retargetStrimziInstall } from "../kind/strimzi-install.ts";
import { findCrdSchema, loadCrdSchemas, validateCustomResource } from "../testing/crd-schema.ts";
import { type KubeObject, renderKindLabManifests } from "./kind-manifests.ts";

const installDir = process.env.CHAOSLAB_STRIMZI_INSTALL_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "upstream", `strimzi-${versions.strimzi}`, "install");
const present = fs.existsSync(installDir);
const title = present
  ? `Strimzi ${versions.strimzi} CRDs from ${installDir}`
  : `Strimzi CRDs — SKIPPED: ${installDir} does not exist (set CHAOSLAB_STRIMZI_INSTALL_DIR to Strimzi ${versions.strimzi}'s install/cluster-operator folder)`;
if (!present) console.warn(title);

describe.skipIf(!present)(title, () => {
  const crds = present ? loadCrdSchemas(installDir) : [];
  const manifests = renderKindLabManifests();
  const strimziObjects = [...manifests.kafka, ...manifests.topics];

  const validate = (object: KubeObject) => {
    const found = findCrdSchema(crds, object.apiVersion, object.kind);
    if ("error" in found) throw new Error(`${object.kind} ${object.metadata.name}: ${found.error}`);
    return { crd: found.crd, ...validateCustomResource(object, found.crd.schema) };
  };

  it("covers every Strimzi kind the lab uses", () => {
    expect(strimziObjects.map((object) => `${object.apiVersion} ${object.kind}`).sort()).toEqual([
      "kafka.strimzi.io/v1 Kafka",
      "kafka.strimzi.io/v1 KafkaNodePool",
      "kafka.strimzi.io/v1 KafkaTopic",
      "kafka.strimzi.io/v1 KafkaTopic",
      "kafka.strimzi.io/v1 KafkaTopic",
    ]);
  });

  for (const object of strimziObjects) {
    it(`${object.kind} ${object.metadata.name} follows the served, stored v1 schema`, () => {
      const { crd, problems, unchecked } = validate(object);
      expect(crd.served && crd.storage, `${crd.group}/${crd.version} served and storage`).toBe(true);
      expect(crd.scope).toBe("Namespaced");
      expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([]);
      if (unchecked.length > 0) console.info(`${object.kind} ${object.metadata.name}: left to the server-side dry-run:\n  ${unchecked.join("\n  ")}`);
    });
  }

  it("the validator rejects what v1 no longer accepts or what is mistyped (so the checks above can fail)", () => {
    const kafka = structuredClone(manifests.kafka.find((object) => object.kind === "Kafka")!);
    const spec = kafka.spec as { kafka: Record<string, unknown> & { listeners: Record<string, unknown>[] }; zookeeper?: unknown };
    spec.zookeeper = { replicas: 3, storage: { type: "ephemeral" } };
    spec.kafka.replicas = 3;
    spec.kafka.listeners[0]!.type = "clusterip";
    delete spec.kafka.listeners[1]!.tls;
    const messages = validate(kafka).problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\.spec\.zookeeper: unknown field "zookeeper"/),
        expect.stringMatching(/^\.spec\.kafka\.replicas: unknown field "replicas"/),
        expect.stringMatching(/^\.spec\.kafka\.listeners\[0\]\.type: "clusterip" is not one of/),
        '.spec.kafka.listeners[1]: missing required field "tls"',
      ]),
    );

    const pool = structuredClone(manifests.kafka.find((object) => object.kind === "KafkaNodePool")!);
    (pool.spec as { roles: string[] }).roles = ["controller", "zookeeper"];
    delete (pool.spec as { storage?: unknown }).storage;
    expect(validate(pool).problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      '.spec: missing required field "storage"',
      '.spec.roles[1]: "zookeeper" is not one of ["controller","broker"]',
    ]);

    const topic = structuredClone(manifests.topics[0]!);
    (topic.spec as { partitions: unknown }).partitions = "3";
    (topic.spec as { replicas: unknown }).replicas = 0;
    expect(validate(topic).problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      '.spec.partitions: expected integer, found string "3"',
      ".spec.replicas: 0 is below the minimum 1",
    ]);
  });

  it("the operator's install files retarget to namespace kafka: every ServiceAccount subject, nothing left in myproject", () => {
    const installYaml = fs
      .readdirSync(installDir)
      .filter((name) => name.endsWith(".yaml"))
      .sort()
      .map((name) => fs.readFileSync(path.join(installDir, name), "utf8"))
      .join("\n---\n");
    expect(installYaml).toContain("namespace: myproject");
    const objects = retargetStrimziInstall(installYaml, "kafka");
    const subjects = objects
      .filter((object) => object.kind === "RoleBinding" || object.kind === "ClusterRoleBinding")
      .flatMap((object) => object.subjects as { kind: string; namespace?: string }[]);
    expect(subjects.length).toBeGreaterThan(0);
    expect(subjects.every((subject) => subject.kind !== "ServiceAccount" || subject.namespace === "kafka")).toBe(true);
    // "myproject" also appears in CRD descriptions (examples of addresses); only namespace fields matter.
    expect(JSON.stringify(objects).match(/"namespace":"myproject"/g) ?? []).toEqual([]);
    const operator = objects.find((object) => object.kind === "Deployment")!;
    // The Kafka version the lab pins must be one this operator knows.
    expect(JSON.stringify(operator)).toContain(`${versions.kafka}=quay.io/strimzi/kafka:${versions.strimzi}-kafka-${versions.kafka}`);
  });
});
