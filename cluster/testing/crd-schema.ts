/**
 * Offline validation of custom resources against the `openAPIV3Schema` of their CustomResourceDefinition,
 * following the API server's rules for *structural* schemas (apiextensions.k8s.io/v1):
 *
 * - `type` (with `x-kubernetes-int-or-string`), `required`, `enum`, `minimum`/`maximum` (and exclusive),
 *   `pattern`, `minLength`/`maxLength`, `minItems`/`maxItems`, `minProperties`/`maxProperties`, `nullable`;
 * - unknown fields: an object whose schema has `properties` and no `x-kubernetes-preserve-unknown-fields`
 *   (or a bare `type: object`) keeps no other field. The server prunes them, and kubectl's default strict
 *   field validation rejects them, so they are reported as problems;
 * - `additionalProperties` (map values), `oneOf`/`anyOf`/`allOf`/`not` as value validations (their branches
 *   may name fields without types, so inside them unknown fields and missing types are not errors);
 * - `metadata` as ObjectMeta: name (DNS-1123 subdomain), namespace, labels and annotations as string maps.
 *
 * Not evaluated: CEL rules (`x-kubernetes-validations`) and `format`. CEL rules on paths the object uses are
 * returned as `unchecked`, so a caller can show what the server-side dry-run still has to cover.
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

export interface JsonSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  items?: JsonSchemaProps;
  additionalProperties?: boolean | JsonSchemaProps;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  format?: string;
  oneOf?: JsonSchemaProps[];
  anyOf?: JsonSchemaProps[];
  allOf?: JsonSchemaProps[];
  not?: JsonSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
}

export interface SchemaProblem {
  /** JSON-path-like location in the object, e.g. `.spec.kafka.listeners[0].type`. */
  path: string;
  message: string;
}

export interface ValidationResult {
  problems: SchemaProblem[];
  /** Rules this validator cannot evaluate (CEL) on paths the object uses. */
  unchecked: string[];
}

interface Mode {
  /** Inside oneOf/anyOf/allOf/not: branches are value validations, not structural schemas. */
  valueValidationOnly: boolean;
}

const STRUCTURAL: Mode = { valueValidationOnly: false };
const VALUE_ONLY: Mode = { valueValidationOnly: true };

/** Validates a whole custom resource (apiVersion, kind, metadata, spec, ...) against its root schema. */
export function validateCustomResource(object: unknown, rootSchema: JsonSchemaProps): ValidationResult {
  const result: ValidationResult = { problems: [], unchecked: [] };
  if (!isPlainObject(object)) {
    result.problems.push({ path: "", message: `expected an object, found ${describe(object)}` });
    return result;
  }
  const { metadata, ...rest } = object;
  validateObjectMeta(metadata, ".metadata", result);
  // ObjectMeta is validated above, the way the server does it, whatever the CRD says about `metadata`.
  const properties = { ...rootSchema.properties };
  delete properties.metadata;
  validateValue(rest, { ...rootSchema, properties }, "", result, STRUCTURAL);
  return result;
}

/** Validates one value against one schema node. Exported for unit tests of the rules themselves. */
export function validateAgainstSchema(value: unknown, schema: JsonSchemaProps, at = ""): ValidationResult {
  const result: ValidationResult = { problems: [], unchecked: [] };
  validateValue(value, schema, at, result, STRUCTURAL);
  return result;
}

function validateValue(value: unknown, schema: JsonSchemaProps, at: string, result: ValidationResult, mode: Mode): void {
  const problem = (message: string) => result.problems.push({ path: at || ".", message });

  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    result.unchecked.push(`${at || "."}: CEL rule not evaluated: ${rule.rule}`);
  }

  if (value === null) {
    if (!schema.nullable && !(mode.valueValidationOnly && schema.type === undefined)) {
      problem(`null is not allowed here (the schema is not nullable${schema.type ? `; expected ${schema.type}` : ""})`);
    }
    return;
  }

  if (!checkType(value, schema, problem, mode)) return;

  if (schema.enum !== undefined && !schema.enum.some((allowed) => deepEqual(allowed, value))) {
    problem(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }

  if (typeof value === "number") {
    const { minimum, maximum } = schema;
    if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum)) {
      problem(`${value} is below the minimum ${schema.exclusiveMinimum ? "(exclusive) " : ""}${minimum}`);
    }
    if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum)) {
      problem(`${value} is above the maximum ${schema.exclusiveMaximum ? "(exclusive) " : ""}${maximum}`);
    }
  }

  if (typeof value === "string") {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      problem(`${JSON.stringify(value)} does not match the pattern ${schema.pattern}`);
    }
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) problem(`shorter than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && length > schema.maxLength) problem(`longer than ${schema.maxLength} characters`);
  }

  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problem(`fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problem(`more than ${schema.maxItems} items`);
    if (schema.items) {
      value.forEach((item, index) => validateValue(item, schema.items!, `${at}[${index}]`, result, mode));
    }
  }

  if (isPlainObject(value)) validateObjectFields(value, schema, at, result, mode);

  validateCombinators(value, schema, at, result);
}

/** Returns false when the value has the wrong type (no further checks make sense then). */
function checkType(value: unknown, schema: JsonSchemaProps, problem: (m: string) => void, mode: Mode): boolean {
  if (schema["x-kubernetes-int-or-string"]) {
    if (typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) return true;
    problem(`expected an integer or a string, found ${describe(value)}`);
    return false;
  }
  const expected = schema.type;
  if (expected === undefined) {
    if (!mode.valueValidationOnly && !schema["x-kubernetes-preserve-unknown-fields"]) {
      problem("the schema has no type here (not structural): cannot validate");
      return false;
    }
    return true;
  }
  const ok =
    (expected === "object" && isPlainObject(value)) ||
    (expected === "array" && Array.isArray(value)) ||
    (expected === "string" && typeof value === "string") ||
    (expected === "boolean" && typeof value === "boolean") ||
    (expected === "integer" && typeof value === "number" && Number.isInteger(value)) ||
    (expected === "number" && typeof value === "number");
  if (!ok) problem(`expected ${expected}, found ${describe(value)}`);
  return ok;
}

function validateObjectFields(
  value: Record<string, unknown>,
  schema: JsonSchemaProps,
  at: string,
  result: ValidationResult,
  mode: Mode,
): void {
  const problem = (message: string) => result.problems.push({ path: at || ".", message });
  const keys = Object.keys(value);
  for (const name of schema.required ?? []) {
    if (!(name in value)) problem(`missing required field "${name}"`);
  }
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    problem(`fewer than ${schema.minProperties} fields`);
  }
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    problem(`more than ${schema.maxProperties} fields`);
  }
  const preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"] === true;
  for (const key of keys) {
    const childPath = `${at}.${key}`;
    const propertySchema = schema.properties?.[key];
    if (propertySchema) {
      validateValue(value[key], propertySchema, childPath, result, mode);
    } else if (isPlainObject(schema.additionalProperties)) {
      validateValue(value[key], schema.additionalProperties, childPath, result, mode);
    } else if (schema.additionalProperties === true || preserveUnknown || mode.valueValidationOnly) {
      continue;
    } else {
      const known = Object.keys(schema.properties ?? {});
      result.problems.push({
        path: childPath,
        message: `unknown field "${key}" (the server drops or rejects it); known fields here: ${
          known.length > 0 ? known.join(", ") : "none"
        }`,
      });
    }
  }
}

function validateCombinators(value: unknown, schema: JsonSchemaProps, at: string, result: ValidationResult): void {
  const passes = (branch: JsonSchemaProps) => {
    const branchResult: ValidationResult = { problems: [], unchecked: [] };
    validateValue(value, branch, at, branchResult, VALUE_ONLY);
    return branchResult.problems.length === 0;
  };
  const problem = (message: string) => result.problems.push({ path: at || ".", message });
  if (schema.allOf) {
    for (const branch of schema.allOf) validateValue(value, branch, at, result, VALUE_ONLY);
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter(passes).length;
    if (matching !== 1) {
      problem(`must match exactly one of ${schema.oneOf.length} alternatives (oneOf) but matches ${matching}: ${summarize(schema.oneOf)}`);
    }
  }
  if (schema.anyOf && !schema.anyOf.some(passes)) {
    problem(`must match at least one alternative (anyOf): ${summarize(schema.anyOf)}`);
  }
  if (schema.not && passes(schema.not)) {
    problem(`must not match ${summarize([schema.not])} (not)`);
  }
}

function summarize(branches: JsonSchemaProps[]): string {
  return branches
    .map((branch) => (branch.required ? `{required: ${branch.required.join(", ")}}` : JSON.stringify(branch).slice(0, 80)))
    .join(" | ");
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function validateObjectMeta(metadata: unknown, at: string, result: ValidationResult): void {
  const problem = (where: string, message: string) => result.problems.push({ path: where, message });
  if (!isPlainObject(metadata)) {
    problem(at, `expected an object with at least "name", found ${describe(metadata)}`);
    return;
  }
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== "string" || name.length === 0) {
    problem(`${at}.name`, `expected a non-empty string, found ${describe(name)}`);
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    problem(`${at}.name`, `"${name}" is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")`);
  }
  if (namespace !== undefined && (typeof namespace !== "string" || !DNS1123_SUBDOMAIN.test(namespace))) {
    problem(`${at}.namespace`, `expected a DNS-1123 name, found ${describe(namespace)}`);
  }
  for (const [field, map, checkValue] of [
    ["labels", labels, true],
    ["annotations", annotations, false],
  ] as const) {
    if (map === undefined) continue;
    if (!isPlainObject(map)) {
      problem(`${at}.${field}`, `expected a map of strings, found ${describe(map)}`);
      continue;
    }
    for (const [key, entry] of Object.entries(map)) {
      if (!QUALIFIED_NAME.test(key)) problem(`${at}.${field}.${key}`, `"${key}" is not a valid ${field} key`);
      if (typeof entry !== "string") {
        problem(`${at}.${field}.${key}`, `expected a string (quote it in YAML), found ${describe(entry)}`);
      } else if (checkValue && (entry.length > 63 || !LABEL_VALUE.test(entry))) {
        problem(`${at}.${field}.${key}`, `"${entry}" is not a valid label value`);
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface CrdVersionSchema {
  /** CRD file it came from (for messages). */
  file: string;
  group: string;
  version: string;
  kind: string;
  served: boolean;
  storage: boolean;
  scope: "Namespaced" | "Cluster";
  schema: JsonSchemaProps;
}

/** Reads every CustomResourceDefinition in a folder of YAML files, one entry per version. */
export function loadCrdSchemas(folder: string): CrdVersionSchema[] {
  const entries: CrdVersionSchema[] = [];
  for (const fileName of fs.readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort()) {
    const file = path.join(folder, fileName);
    for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      const crd = document.toJS() as {
        kind?: string;
        spec?: {
          group: string;
          scope: "Namespaced" | "Cluster";
          names: { kind: string };
          versions: { name: string; served: boolean; storage: boolean; schema?: { openAPIV3Schema: JsonSchemaProps } }[];
        };
      } | null;
      if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
      for (const version of crd.spec.versions) {
        if (!version.schema) continue;
        entries.push({
          file,
          group: crd.spec.group,
          version: version.name,
          kind: crd.spec.names.kind,
          served: version.served,
          storage: version.storage,
          scope: crd.spec.scope,
          schema: version.schema.openAPIV3Schema,
        });
      }
    }
  }
  return entries;
}

/** Finds the schema for an object's apiVersion + kind, or explains why there is none. */
export function findCrdSchema(
  crds: readonly CrdVersionSchema[],
  apiVersion: string,
  kind: string,
): { crd: CrdVersionSchema } | { error: string } {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const sameKind = crds.filter((crd) => crd.group === group && crd.kind === kind);
  if (sameKind.length === 0) return { error: `no CustomResourceDefinition for kind ${kind} in group "${group}"` };
  const crd = sameKind.find((candidate) => candidate.version === version);
  if (!crd) {
    return {
      error: `${kind} has no version ${version} in ${sameKind[0]!.file}; versions there: ${sameKind.map((c) => c.version).join(", ")}`,
    };
  }
  if (!crd.served) return { error: `${group}/${version} ${kind} exists in ${crd.file} but is not served` };
  return { crd };
}
