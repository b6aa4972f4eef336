/**
 * Provisioning (`make setup`, and on demand by `lab up`): build every missing upstream component into
 * the cache, keyed by version; a warm cache makes this a no-op that says so.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { cacheDir } from "./cache-dir.ts";
import { cacheKey, LAB_COMPONENTS, type Toolchain, type UpstreamComponent } from "./components.ts";

const TOOLCHAIN_HELP: Record<Toolchain, { probe: string[]; install: string }> = {
  go: { probe: ["go", "version"], install: "install Go ≥ 1.24 (https://go.dev/dl, or `apt-get install golang`) and put `go` on PATH" },
  java: { probe: ["java", "-version"], install: "install a JDK 17 (`apt-get install openjdk-17-jdk-headless`)" },
  mvn: { probe: ["mvn", "-v"], install: "install Maven 3.8+ (`apt-get install maven`)" },
};

export class MissingToolchainError extends Error {}

async function checkToolchains(needed: Iterable<Toolchain>): Promise<void> {
  const missing: string[] = [];
  for (const tool of new Set(needed)) {
    const [command, ...args] = TOOLCHAIN_HELP[tool].probe as [string, ...string[]];
    const result = await $({ quiet: true, nothrow: true })`${command} ${args}`.catch(() => ({ exitCode: 127 }));
    if (result.exitCode !== 0) missing.push(`- ${tool}: not found; ${TOOLCHAIN_HELP[tool].install}`);
  }
  if (missing.length > 0) {
    throw new MissingToolchainError(`The sim lab builds its components from package registries and needs:\n${missing.join("\n")}`);
  }
}

export interface ComponentLocation {
  component: UpstreamComponent;
  dir: string;
}

export async function locate(component: UpstreamComponent): Promise<ComponentLocation> {
  return { component, dir: path.join(cacheDir(), await cacheKey(component)) };
}

export async function isBuilt({ component, dir }: ComponentLocation): Promise<boolean> {
  try {
    await fs.access(path.join(dir, ".built.json"));
    for (const output of component.outputs) await fs.access(path.join(dir, output));
    return true;
  } catch {
    return false;
  }
}

export interface ProvisionReport {
  name: string;
  version: string;
  dir: string;
  built: boolean;
  seconds: number;
}

export interface ProvisionOptions {
  /** Component names to provision; default: everything the sim lab and its suite use. */
  only?: string[];
  log?: (line: string) => void;
}

/** k6 is in: the canary scenarios and tests run it, and a fresh machine must not find it missing. */
export const DEFAULT_COMPONENTS = ["kafka", "toxiproxy", "kwok", "kube", "k6"];

/** Builds what is missing, one component at a time (2 cores: parallel Go builds only thrash). */
export async function provision(options: ProvisionOptions = {}): Promise<ProvisionReport[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const wanted = options.only ?? DEFAULT_COMPONENTS;
  const components = LAB_COMPONENTS.filter((component) => wanted.includes(component.name));
  const locations = await Promise.all(components.map(locate));
  const missing = [];
  for (const location of locations) if (!(await isBuilt(location))) missing.push(location);
  if (missing.length === 0) {
    log(`[setup] all ${locations.length} components are in the cache (${cacheDir()}); nothing to build`);
    return locations.map(({ component, dir }) => ({ name: component.name, version: component.version, dir, built: false, seconds: 0 }));
  }
  await checkToolchains(missing.flatMap(({ component }) => component.toolchains));
  const reports: ProvisionReport[] = [];
  for (const location of locations) {
    const { component, dir } = location;
    if (!missing.includes(location)) {
      log(`[setup] ${component.name} ${component.version}: cached`);
      reports.push({ name: component.name, version: component.version, dir, built: false, seconds: 0 });
      continue;
    }
    reports.push(await buildOne(location, log));
  }
  return reports;
}

async function buildOne({ component, dir }: ComponentLocation, log: (line: string) => void): Promise<ProvisionReport> {
  const started = Date.now();
  const tmp = `${dir}.partial-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  log(`[setup] ${component.name} ${component.version}: building into ${dir}`);
  // A cold Kubernetes build takes tens of minutes on 2 cores: say we are alive.
  const ticker = setInterval(() => log(`[setup] ${component.name}: still building (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
  try {
    await component.build({ outDir: tmp, log: (line) => log(`[setup] ${line}`) });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    await fs.writeFile(
      path.join(tmp, ".built.json"),
      JSON.stringify({ name: component.name, version: component.version, builtAt: new Date().toISOString(), seconds }, null, 2),
    );
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    log(`[setup] ${component.name} ${component.version}: built in ${seconds} s`);
    return { name: component.name, version: component.version, dir, built: true, seconds };
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw new Error(`[setup] building ${component.name} ${component.version} failed: ${(error as Error).message}`);
  } finally {
    clearInterval(ticker);
  }
}

/** Directories of built components by name; throws with what to run when one is missing. */
export async function builtComponentDirs(names: string[] = DEFAULT_COMPONENTS): Promise<Record<string, string>> {
  const dirs: Record<string, string> = {};
  for (const component of LAB_COMPONENTS.filter((candidate) => names.includes(candidate.name))) {
    const location = await locate(component);
    if (!(await isBuilt(location))) {
      throw new Error(`${component.name} ${component.version} is not built (expected in ${location.dir}). Run \`make setup\` first.`);
    }
    dirs[component.name] = location.dir;
  }
  return dirs;
}
