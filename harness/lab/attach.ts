/**
 * Finding the lab: its description (`$CHAOSLAB_LAB`, else `<state dir>/lab.json` — by default
 * `.chaoslab/sim/lab.json`), and a `StartedLab` from the provider module named in it
 * (`cluster/providers/<provider>.ts`, default export: a ClusterProvider).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { labDescriptionSchema, type ClusterProvider, type LabDescription, type StartedLab } from "../../cluster/provider.ts";
import { REPO_ROOT } from "../../cluster/images.ts";
import { stateDir } from "../../cluster/sim/layout.ts";

export class LabNotFoundError extends Error {
  override name = "LabNotFoundError";
}

export function labDescriptionPath(): string {
  return process.env.CHAOSLAB_LAB ?? path.join(stateDir(), "lab.json");
}

export async function readLabDescription(file = labDescriptionPath()): Promise<LabDescription> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new LabNotFoundError(`no lab description at ${file}: start the lab with \`chaoslab lab up\` (or point CHAOSLAB_LAB at a lab.json)`);
  }
  const parsed = labDescriptionSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LabNotFoundError(`${file} is not a lab description: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Attaches to the running lab through its provider; fails clearly when the lab is described but down. */
export async function attachLab(description: LabDescription, file = labDescriptionPath()): Promise<StartedLab> {
  const modulePath = path.join(REPO_ROOT, "cluster", "providers", `${description.provider}.ts`);
  let provider: ClusterProvider | undefined;
  try {
    provider = ((await import(pathToFileURL(modulePath).href)) as { default?: ClusterProvider }).default;
  } catch (error) {
    throw new LabNotFoundError(`cannot load the ${description.provider} provider (${modulePath}): ${(error as Error).message}`);
  }
  if (!provider) throw new LabNotFoundError(`${modulePath} has no default export (a ClusterProvider)`);
  const lab = await provider.attach();
  if (!lab) throw new LabNotFoundError(`the ${description.provider} lab described in ${file} is not running: start it with \`chaoslab lab up\``);
  return lab;
}
