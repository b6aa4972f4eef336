/**
 * Loads scenario files: YAML syntax errors and schema errors come back as `file:line:column: reason`,
 * pointing at the offending node (the unknown key itself, the wrong value, or the mapping a required
 * key is missing from). Nothing here touches a cluster.
 */
import fs from "node:fs/promises";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { DEFAULT_CATALOG, type Catalog } from "../catalog.ts";
import { describeInput } from "../core/duration-field.ts";
import { buildScenarioSchema, type Scenario, type ScenarioSchema } from "./schema.ts";

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

export type LoadResult = { ok: true; file: string; scenario: Scenario } | { ok: false; file: string; diagnostics: Diagnostic[] };

export function formatDiagnostic(diagnostic: Diagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`;
}

const schemas = new WeakMap<Catalog, ScenarioSchema>();
function schemaFor(catalog: Catalog): ScenarioSchema {
  let schema = schemas.get(catalog);
  if (!schema) schemas.set(catalog, (schema = buildScenarioSchema(catalog)));
  return schema;
}

export async function loadScenarioFile(file: string, catalog: Catalog = DEFAULT_CATALOG): Promise<LoadResult> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    return { ok: false, file, diagnostics: [{ file, line: 1, column: 1, message: `cannot read the file: ${(error as Error).message}` }] };
  }
  return parseScenario(text, file, catalog);
}

export function parseScenario(text: string, file: string, catalog: Catalog = DEFAULT_CATALOG): LoadResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number, message: string): Diagnostic => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, message };
  };
  if (document.errors.length > 0) {
    return { ok: false, file, diagnostics: document.errors.map((error) => at(error.pos[0], `YAML syntax: ${firstLine(error.message)}`)) };
  }
  if (document.contents === null) return { ok: false, file, diagnostics: [at(0, "the file is empty; expected a Scenario (apiVersion, kind, metadata, spec)")] };

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, file, diagnostics: [at(0, `YAML: ${(error as Error).message}`)] };
  }
  const parsed = schemaFor(catalog).safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, file, scenario: parsed.data };

  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const issue of parsed.error.issues) {
    // One message per location: a strict map with an unknown key also fails "exactly one key", say it once.
    const key = issue.path.join("\u0000");
    if (seen.has(key) && issue.code === "custom") continue;
    seen.add(key);
    const { offset, missingKey } = locateIssue(document, issue);
    diagnostics.push(at(offset, describeIssue(issue, missingKey)));
  }
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, file, diagnostics };
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function describeIssue(issue: z.core.$ZodIssue, missingKey: string | undefined): string {
  const where = issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : "";
  if (missingKey !== undefined && issue.code === "invalid_type" && issue.input === undefined) {
    return `${where}required key "${missingKey}" is missing`;
  }
  if (issue.code === "unrecognized_keys" && issue.message.startsWith("Unrecognized key")) {
    return `${where}unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (keys are case-sensitive; see scenarios/schema.json)`;
  }
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return `${where}expected ${issue.expected}, found ${describeInput(issue.input)}`;
  }
  return `${where}${issue.message}`;
}

/**
 * Walks the YAML document along the issue's path. Returns the offset of the node that is wrong: for an
 * unknown key the key itself, for a value the value, and when the path leaves the document (a missing
 * key) the key of the deepest mapping that exists.
 */
function locateIssue(document: Document, issue: z.core.$ZodIssue): { offset: number; missingKey?: string } {
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (let index = 0; index < issue.path.length; index++) {
    const segment = issue.path[index]!;
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return { offset, missingKey: String(segment) };
      node = pair.value;
      offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
      // A missing value (`key:` alone) has no node: point at the key.
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) offset = rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return { offset, missingKey: String(segment) };
      node = item;
      offset = rangeStart(item) ?? offset;
    } else {
      return { offset };
    }
  }
  if (issue.code === "unrecognized_keys") {
    if (isAlias(node)) node = node.resolve(document);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === issue.keys[0]);
      if (pair) return { offset: rangeStart(pair.key) ?? offset };
    }
  }
  return { offset };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** A scenario file that loaded and validated: what the engine runs. */
export type LoadedScenario = Extract<LoadResult, { ok: true }>;
