/**
 * Writes `scenarios/schema.json` from the zod schema (run: `npx tsx harness/scenario/generate-schema.ts`).
 * Editors pick it up through the `# yaml-language-server: $schema=./schema.json` line of each scenario.
 * `schema-file.test.ts` fails when the committed file differs from what this would write.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { scenarioJsonSchema } from "./schema.ts";

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scenarios/schema.json");

export function renderSchemaFile(): string {
  return `${JSON.stringify(scenarioJsonSchema(DEFAULT_CATALOG), null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await fs.writeFile(SCHEMA_FILE, renderSchemaFile());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
