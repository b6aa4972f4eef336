/**
 * Global setup of the `kind` test project: brings the kind lab up on the air-gapped images (started by
 * cluster/testing/kind-project.ts, which builds them first) and provides its description to the tests.
 * The project's last test takes the lab down and checks nothing is left; the teardown here only makes
 * sure a run that failed before that test does not leave a cluster behind.
 *
 * vitest ignores hookTimeout for globalSetup, so the start carries its own deadline.
 */
import type { TestProject } from "vitest/node";
import type { LabDescription } from "../provider.ts";
import { createProvider } from "../providers/kind.ts";
import { recordKindFigures } from "./kind-figures.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kindLab: LabDescription;
  }
}

const START_DEADLINE_MS = 20 * 60_000;

export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const provider = createProvider({ log });
  let timer: NodeJS.Timeout | undefined;
  const upStartedAt = Date.now();
  const lab = await Promise.race([
    provider.up({ log }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the kind lab did not start within ${START_DEADLINE_MS / 60_000} min`)), START_DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  await recordKindFigures((figures) => ({ ...figures, labUpSeconds: Math.round((Date.now() - upStartedAt) / 100) / 10 }));
  project.provide("kindLab", lab.description);
  return async () => {
    if (await provider.attach().catch(() => undefined)) await provider.down().catch((error: unknown) => log(`kind teardown: ${(error as Error).message}`));
  };
}
