/**
 * Pods of the sim run compiled JavaScript, as the images do: each lab image's TypeScript entry is bundled
 * once with esbuild (the way workloads/Dockerfile builds its images) and every pod of that image starts
 * `node <bundle>`. Starting through `node --import tsx` instead cost every pod start a transpiler and
 * its loader (about a second of CPU on 2 cores, tens of MiB per process), paid again on every restart.
 *
 * A bundle is rebuilt when one of its input files changed since it was built (their mtimes are checked
 * at each pod start), so editing a workload while the lab runs behaves as it did with tsx. A bundle that
 * cannot be built falls back to tsx, with the reason in the runtime's log.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

export interface EntryCommand {
  /** Arguments for `node` before the container's own args. */
  nodeArgs: string[];
  /** `bundle` or `tsx (why)`: for the runtime's log. */
  how: string;
}

interface Bundle {
  file: string;
  /** Input file → mtime when bundled. */
  inputs: Map<string, number>;
}

export class EntryBundles {
  private readonly bundles = new Map<string, Promise<Bundle>>();

  constructor(
    private readonly repoRoot: string,
    private readonly outDir: string,
  ) {}

  /** How to start `entry` (repository-relative TypeScript path) now. */
  async command(entry: string): Promise<EntryCommand> {
    try {
      const bundle = await this.current(entry);
      return { nodeArgs: [bundle.file], how: "bundle" };
    } catch (error) {
      this.bundles.delete(entry);
      return { nodeArgs: ["--import", "tsx", path.join(this.repoRoot, entry)], how: `tsx (bundling failed: ${(error as Error).message.split("\n")[0]})` };
    }
  }

  private async current(entry: string): Promise<Bundle> {
    const known = this.bundles.get(entry);
    if (known && !(await isStale(await known))) return known;
    const next = this.bundle(entry);
    this.bundles.set(entry, next);
    return next;
  }

  private async bundle(entry: string): Promise<Bundle> {
    const file = path.join(this.outDir, `${entry.replaceAll("/", "_").replace(/\.ts$/, "")}.mjs`);
    await fs.mkdir(this.outDir, { recursive: true });
    const result = await build({
      entryPoints: [path.join(this.repoRoot, entry)],
      outfile: file,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      absWorkingDir: this.repoRoot,
      metafile: true,
      // kafkajs and pino are CommonJS and require() Node built-ins: give the ESM bundle a require().
      banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
      logLevel: "silent",
    });
    const inputs = new Map<string, number>();
    // The project's own sources: what someone may edit while the lab runs (packages change only with npm ci).
    for (const input of Object.keys(result.metafile.inputs).filter((name) => !name.includes("node_modules/"))) {
      const absolute = path.resolve(this.repoRoot, input);
      inputs.set(absolute, (await fs.stat(absolute)).mtimeMs);
    }
    return { file, inputs };
  }
}

async function isStale(bundle: Bundle): Promise<boolean> {
  for (const [file, mtime] of bundle.inputs) {
    const now = await fs.stat(file).then((stat) => stat.mtimeMs, () => -1);
    if (now !== mtime) return true;
  }
  return false;
}
