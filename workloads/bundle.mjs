// Bundles one workload entry point (TypeScript) and everything it imports into a single ESM file, the
// way workloads/Dockerfile builds its images. Plain JS on purpose: it runs in the image's build stage
// before anything is compiled. Usage: node workloads/bundle.mjs <entry.ts> <out.mjs>
import { build } from "esbuild";
import { existsSync } from "node:fs";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node workloads/bundle.mjs <entry.ts> <out.mjs>");
  process.exit(2);
}
if (!existsSync(entry)) {
  console.error(`bundle: entry ${entry} does not exist (expected one of the entries in cluster/images.ts)`);
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // kafkajs and pino are CommonJS and require() Node built-ins: give the ESM bundle a require().
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
console.log(`bundled ${entry} -> ${outfile}`);
