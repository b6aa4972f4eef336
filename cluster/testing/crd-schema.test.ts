import { describe, expect, it } from "vitest";
import { type JsonSchemaProps, findCrdSchema, validateAgainstSchema, validateCustomResource } from "./crd-schema.ts";

const listenerSchema: JsonSchemaProps = {
  type: "object",
  required: ["name", "port", "type"],
  properties: {
    name: { type: "string", pattern: "^[a-z0-9]{1,11}$" },
    port: { type: "integer", minimum: 9092 },
    type: { type: "string", enum: ["internal", "nodeport"] },
    config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    labels: { type: "object", additionalProperties: { type: "string" } },
    size: { "x-kubernetes-int-or-string": true },
    note: { type: "string", nullable: true },
    env: {
      type: "object",
      properties: { value: { type: "string" }, valueFrom: { type: "object", properties: { ref: { type: "string" } } } },
      oneOf: [
        { properties: { value: {} }, required: ["value"] },
        { properties: { valueFrom: {} }, required: ["valueFrom"] },
      ],
    },
    tags: { type: "array", minItems: 1, items: { type: "string", enum: ["a", "b"] } },
  },
};

const messages = (value: unknown) => validateAgainstSchema(value, listenerSchema).problems.map((problem) => `${problem.path}: ${problem.message}`);

describe("structural schema validator", () => {
  it("accepts a value that follows the schema", () => {
    expect(messages({ name: "plain", port: 9092, type: "internal", config: { "any.key": 1 }, labels: { a: "b" }, size: "1Gi", note: null, env: { value: "x" }, tags: ["a"] })).toEqual([]);
  });

  it("reports missing required fields, wrong types, enum and range violations, pattern mismatches", () => {
    expect(messages({ name: "Not-Valid!", port: "9092", type: "route" })).toEqual([
      '.name: "Not-Valid!" does not match the pattern ^[a-z0-9]{1,11}$',
      '.port: expected integer, found string "9092"',
      '.type: "route" is not one of ["internal","nodeport"]',
    ]);
    expect(messages({ port: 80, type: "internal" })).toEqual(['.: missing required field "name"', ".port: 80 is below the minimum 9092"]);
    expect(messages({ name: "a", port: 9092.5, type: "internal" })).toEqual([".port: expected integer, found number 9092.5"]);
  });

  it("reports unknown fields unless the schema preserves them or describes a map", () => {
    expect(messages({ name: "a", port: 9092, type: "internal", replicas: 3 })).toEqual([
      '.replicas: unknown field "replicas" (the server drops or rejects it); known fields here: name, port, type, config, labels, size, note, env, tags',
    ]);
    expect(messages({ name: "a", port: 9092, type: "internal", config: { nested: { deep: true } }, labels: { x: "y" } })).toEqual([]);
    expect(messages({ name: "a", port: 9092, type: "internal", labels: { x: 1 } })).toEqual([".labels.x: expected string, found integer 1"]);
  });

  it("checks int-or-string, nullable, arrays and their items", () => {
    expect(messages({ name: "a", port: 9092, type: "internal", size: 2 })).toEqual([]);
    expect(messages({ name: "a", port: 9092, type: "internal", size: true })).toEqual([".size: expected an integer or a string, found boolean"]);
    expect(messages({ name: "a", port: null, type: "internal" })).toEqual([".port: null is not allowed here (the schema is not nullable; expected integer)"]);
    expect(messages({ name: "a", port: 9092, type: "internal", tags: [] })).toEqual([".tags: fewer than 1 items"]);
    expect(messages({ name: "a", port: 9092, type: "internal", tags: ["a", "c"] })).toEqual(['.tags[1]: "c" is not one of ["a","b"]']);
  });

  it("evaluates oneOf as exactly one matching alternative", () => {
    expect(messages({ name: "a", port: 9092, type: "internal", env: { valueFrom: { ref: "x" } } })).toEqual([]);
    const both = messages({ name: "a", port: 9092, type: "internal", env: { value: "x", valueFrom: { ref: "y" } } });
    expect(both).toHaveLength(1);
    expect(both[0]).toContain("must match exactly one of 2 alternatives (oneOf) but matches 2");
    expect(messages({ name: "a", port: 9092, type: "internal", env: {} })[0]).toContain("but matches 0");
  });

  it("validates ObjectMeta of a custom resource: name, string-valued labels and annotations", () => {
    const root: JsonSchemaProps = { type: "object", properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, spec: { type: "object" } } };
    const ok = validateCustomResource({ apiVersion: "x/v1", kind: "K", metadata: { name: "chaoslab", labels: { "strimzi.io/cluster": "chaoslab" } }, spec: {} }, root);
    expect(ok.problems).toEqual([]);
    const bad = validateCustomResource({ apiVersion: "x/v1", kind: "K", metadata: { name: "Chaos_Lab", labels: { enabled: true } }, spec: {} }, root);
    expect(bad.problems.map((problem) => problem.path)).toEqual([".metadata.name", ".metadata.labels.enabled"]);
  });

  it("reports CEL rules it cannot evaluate instead of pretending they passed", () => {
    const schema: JsonSchemaProps = { type: "object", properties: { a: { type: "string", "x-kubernetes-validations": [{ rule: "self != ''" }] } } };
    expect(validateAgainstSchema({ a: "x" }, schema).unchecked).toEqual([".a: CEL rule not evaluated: self != ''"]);
  });

  it("finds a CRD version by apiVersion and kind, and explains a miss", () => {
    const crds = [{ file: "f.yaml", group: "kafka.strimzi.io", version: "v1", kind: "Kafka", served: true, storage: true, scope: "Namespaced" as const, schema: {} }];
    expect("crd" in findCrdSchema(crds, "kafka.strimzi.io/v1", "Kafka")).toBe(true);
    expect(findCrdSchema(crds, "kafka.strimzi.io/v1beta2", "Kafka")).toEqual({ error: "Kafka has no version v1beta2 in f.yaml; versions there: v1" });
    expect(findCrdSchema(crds, "kafka.strimzi.io/v1", "KafkaTopic")).toEqual({ error: 'no CustomResourceDefinition for kind KafkaTopic in group "kafka.strimzi.io"' });
  });
});
