/**
 * Regenerates the YAML examples from the builders (run after changing a builder):
 *   node --import tsx workloads/manifests/render-examples.ts
 * The unit test `loader-job.test.ts` fails when an example has drifted from its builder.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { LOADER_JOB_EXAMPLE, renderLoaderJobYaml } from "./loader-job.ts";

export const LOADER_JOB_EXAMPLE_FILE = fileURLToPath(new URL("./loader-job.example.yaml", import.meta.url));

export function loaderJobExampleYaml(): string {
  return [
    "# GENERATED from workloads/manifests/loader-job.ts (LOADER_JOB_EXAMPLE) — do not edit by hand.",
    "# Regenerate: node --import tsx workloads/manifests/render-examples.ts",
    "# The harness builds loader Jobs with buildLoaderJob(); this file shows the shape and can be applied as is.",
    renderLoaderJobYaml(LOADER_JOB_EXAMPLE),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(LOADER_JOB_EXAMPLE_FILE, loaderJobExampleYaml());
  process.stdout.write(`wrote ${LOADER_JOB_EXAMPLE_FILE}\n`);
}
