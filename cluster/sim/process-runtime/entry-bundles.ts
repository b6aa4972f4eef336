/**
 * Pods of the sim run compiled JavaScript, as the images do: each lab image's TypeScript entry is bundled
 * once with esbuild (the way workloads/Dockerfile builds its images) and every pod of that image starts
 * `node <bundle>`. Starting through `node --import tsx` instead cost every pod start a transpiler and
 * its loader (about a second of CPU on 2 cores, tens of MiB per process), paid again on every restart.
 *
 * A bundle is rebuilt when one of its input files changed since it was built (their mtimes are checked
 * at each pod start), so editing a workload while the lab runs behaves as it did with tsx. A bundle that
 * cannot be built falls back to tsx, with the reason in the runtime's log.
 *
 * Each bundle's inputs are also written beside it (`<bundle>.inputs.json`), so a later process reuses a
 * bundle that is still current: `lab up` starts its own daemons this way without paying esbuild again.
 * Every module keeps its own `import.meta.url` (the source file's), so code that finds files relative to
 * itself (cluster/images.ts: REPO_ROOT) works wherever the bundle is written.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { REPO_ROOT } from "../../images.ts";

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

/**
 * The lab's bundles (the daemons `lab up` starts, and the pods of lab images), in `.chaoslab/bundles`:
 * outside the sim's state dir, so a bundle still current is reused by the next lab too.
 */
export function labEntryBundles(): EntryBundles {
  return new EntryBundles(REPO_ROOT, path.join(REPO_ROOT, ".chaoslab", "bundles"));
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
    const known = this.bundles.get(entry) ?? this.written(entry);
    const bundle = await known.catch(() => undefined);
    if (bundle && !(await isStale(bundle))) {
      this.bundles.set(entry, known);
      return bundle;
    }
    const next = this.bundle(entry);
    this.bundles.set(entry, next);
    return next;
  }

  private fileOf(entry: string): string {
    return path.join(this.outDir, `${entry.replaceAll("/", "_").replace(/\.ts$/, "")}.mjs`);
  }

  /** A bundle an earlier process wrote, with the inputs it was built from; rejects when there is none. */
  private async written(entry: string): Promise<Bundle> {
    const file = this.fileOf(entry);
    const inputs = JSON.parse(await fs.readFile(`${file}.inputs.json`, "utf8")) as Record<string, number>;
    await fs.access(file);
    return { file, inputs: new Map(Object.entries(inputs)) };
  }

  private async bundle(entry: string): Promise<Bundle> {
    const file = this.fileOf(entry);
    await fs.mkdir(this.outDir, { recursive: true });
    const result = await build({
      entryPoints: [path.join(this.repoRoot, entry)],
      write: false,
      outfile: file,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      absWorkingDir: this.repoRoot,
      metafile: true,
      // kafkajs and pino are CommonJS and require() Node built-ins: give the ESM bundle a require().
      banner: { js: BANNER },
      logLevel: "silent",
      plugins: [ownImportMetaUrl],
      // esbuild's JS API runs its native binary from its own package: it cannot be bundled (the process
      // runtime bundles its pods with it); it resolves from node_modules above the bundle instead.
      external: ["esbuild"],
    });
    const inputs = new Map<string, number>();
    // The project's own sources: what someone may edit while the lab runs (packages change only with npm ci).
    for (const input of Object.keys(result.metafile.inputs).filter((name) => !name.includes("node_modules/"))) {
      const absolute = path.resolve(this.repoRoot, input);
      inputs.set(absolute, (await fs.stat(absolute)).mtimeMs);
    }
    // Written aside and renamed: another process (the runtime, a second `lab up`) may read it meanwhile.
    const unique = `.${process.pid}-${Date.now()}`;
    await fs.writeFile(file + unique, result.outputFiles![0]!.contents);
    await fs.rename(file + unique, file);
    await fs.writeFile(`${file}.inputs.json${unique}`, JSON.stringify(Object.fromEntries(inputs)));
    await fs.rename(`${file}.inputs.json${unique}`, `${file}.inputs.json`);
    return { file, inputs };
  }
}

/**
 * Spelled in pieces, here and in the banner: ownImportMetaUrl rewrites that text in every project file,
 * this one included when the process runtime (which bundles its pods) is bundled itself.
 */
const IMPORT_META_URL = ["import", "meta", "url"].join(".");
/** The bundle's own require(), resolving from where the bundle is. */
const BANNER = `import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(${IMPORT_META_URL});`;

/** The project's TypeScript modules keep their own `import.meta.url` inside the bundle. */
const ownImportMetaUrl: Plugin = {
  name: "own-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await fs.readFile(args.path, "utf8");
      if (!source.includes(IMPORT_META_URL)) return undefined;
      return { contents: source.replaceAll(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

async function isStale(bundle: Bundle): Promise<boolean> {
  for (const [file, mtime] of bundle.inputs) {
    const now = await fs.stat(file).then((stat) => stat.mtimeMs, () => -1);
    if (now !== mtime) return true;
  }
  return false;
}
