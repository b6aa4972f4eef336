/**
 * Global setup of the `lab` test project: attaches to a running sim lab or starts one, and provides its
 * description to tests (`inject("lab")`). A lab this setup started is stopped at the end; one that was
 * already up (a developer's `make lab-up`) is left running.
 *
 * vitest ignores hookTimeout for globalSetup, so the start carries its own deadline.
 */
import type { TestProject } from "vitest/node";
import type { LabDescription } from "../provider.ts";
import { attachSimLab } from "../sim/lab/sim-lab.ts";
import { startSimLab } from "../sim/lab/start-sim-lab.ts";
import { stopSimLab } from "../sim/lab/stop-sim-lab.ts";

declare module "vitest" {
  export interface ProvidedContext {
    lab: LabDescription;
  }
}

const START_DEADLINE_MS = 15 * 60_000; // a cold build of the components runs inside `up`

export default async function setup(project: TestProject) {
  const attached = await attachSimLab();
  let timer: NodeJS.Timeout | undefined;
  const lab =
    attached ??
    (await Promise.race([
      startSimLab({ log: (line) => process.stderr.write(`${line}\n`) }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the sim lab did not start within ${START_DEADLINE_MS / 60_000} min`)), START_DEADLINE_MS);
      }),
    ]).finally(() => clearTimeout(timer)));
  project.provide("lab", lab.description);
  return async () => {
    if (!attached) await stopSimLab(lab.description.stateDir, { log: (line) => process.stderr.write(`${line}\n`) });
  };
}
