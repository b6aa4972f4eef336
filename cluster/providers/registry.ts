/**
 * The cluster providers, one module each, and the one way to find and attach to the running lab,
 * whatever its provider. A new provider is one module in this folder (exporting
 * `createProvider(options): ClusterProvider`) plus one line in PROVIDER_MODULES.
 *
 * Modules are imported lazily, by path, so attaching to the sim never loads kind's dependencies and the
 * other way round.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../images.ts";
import { labDescriptionSchema, PROVIDER_NAMES, type ClusterProvider, type LabDescription, type ProviderName, type StartedLab } from "../provider.ts";

export interface ProviderOptions {
  /** Where the lab's state lives (kubeconfig, lab.json, logs); default `.chaoslab/<provider>/` or $CHAOSLAB_STATE_DIR. */
  stateDir?: string;
}

const PROVIDER_MODULES: Record<ProviderName, string> = {
  kind: "./kind.ts",
  sim: "./sim.ts",
  existing: "./existing.ts",
};

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** The state dir a provider uses when none is given. */
export function defaultStateDir(name: ProviderName, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.CHAOSLAB_STATE_DIR ?? path.join(REPO_ROOT, ".chaoslab", name);
}

export async function loadProvider(name: ProviderName, options: ProviderOptions = {}): Promise<ClusterProvider> {
  const file = `cluster/providers/${PROVIDER_MODULES[name].slice(2)}`;
  let module: { createProvider?: (options?: ProviderOptions) => ClusterProvider };
  try {
    module = (await import(new URL(PROVIDER_MODULES[name], import.meta.url).href)) as typeof module;
  } catch (error) {
    throw new Error(`cannot load the ${name} cluster provider from ${file}: ${(error as Error).message}`);
  }
  const provider = typeof module.createProvider === "function" ? module.createProvider(options) : undefined;
  if (!provider || typeof provider.up !== "function" || typeof provider.attach !== "function" || provider.name !== name) {
    throw new Error(`${file} must export createProvider(options): ClusterProvider named "${name}"`);
  }
  return provider;
}

export class LabNotFoundError extends Error {
  override name = "LabNotFoundError";
}

export async function readLabDescription(file: string): Promise<LabDescription> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new LabNotFoundError(`no lab description at ${file}: start the lab with \`chaoslab lab up\` (or point CHAOSLAB_LAB at a lab.json)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LabNotFoundError(`${file} is not a lab description: ${(error as Error).message}`);
  }
  const parsed = labDescriptionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LabNotFoundError(`${file} is not a lab description: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

export interface FindLabOptions {
  /** The state dir of a particular lab (a revert journal names the one it was written against). */
  stateDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Where the running lab is described, in this order: $CHAOSLAB_LAB (a lab.json); the given state dir;
 * the provider named by CLUSTER; else every provider's default state dir, newest lab first.
 */
export async function labDescriptionCandidates(options: FindLabOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  if (env.CHAOSLAB_LAB) return [env.CHAOSLAB_LAB];
  if (options.stateDir) return [path.join(options.stateDir, "lab.json")];
  const forced = env.CLUSTER?.trim();
  if (forced) {
    if (!isProviderName(forced)) throw new LabNotFoundError(`CLUSTER=${forced} is not a cluster provider (use ${PROVIDER_NAMES.join(", ")})`);
    return [path.join(defaultStateDir(forced, env), "lab.json")];
  }
  const found: { file: string; startedAt: string }[] = [];
  for (const name of PROVIDER_NAMES) {
    const file = path.join(defaultStateDir(name, env), "lab.json");
    const description = await readLabDescription(file).catch(() => undefined);
    if (description) found.push({ file, startedAt: description.startedAt });
  }
  found.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return found.map((entry) => entry.file);
}

/** Attaches to the running lab through its own provider; says clearly where it looked when none runs. */
export async function attachRunningLab(options: FindLabOptions = {}): Promise<StartedLab> {
  const candidates = await labDescriptionCandidates(options);
  if (candidates.length === 0) {
    throw new LabNotFoundError(
      `no lab is up (looked for lab.json in ${PROVIDER_NAMES.map((name) => defaultStateDir(name, options.env ?? process.env)).join(", ")}): ` +
        "start one with `make lab-up` (CLUSTER=kind|sim|existing picks the provider)",
    );
  }
  const problems: string[] = [];
  for (const file of candidates) {
    let description: LabDescription;
    try {
      description = await readLabDescription(file);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    const provider = await loadProvider(description.provider, { stateDir: path.dirname(file) });
    const lab = await provider.attach();
    if (lab) return lab;
    problems.push(`the ${description.provider} lab described in ${file} is not running: start it with \`make lab-up\` (CLUSTER=${description.provider})`);
  }
  throw new LabNotFoundError(problems.join("; "));
}
