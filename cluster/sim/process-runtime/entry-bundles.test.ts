import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EntryBundles } from "./entry-bundles.ts";

async function project() {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "entry-bundles-"));
  await fs.mkdir(path.join(root, "app"));
  await fs.writeFile(path.join(root, "app", "greeting.ts"), 'export const greeting: string = "hello";\n');
  await fs.writeFile(path.join(root, "app", "main.ts"), 'import { greeting } from "./greeting.ts";\nconsole.log(greeting);\n');
  return { root, bundles: new EntryBundles(root, path.join(root, "bundles")) };
}

const run = (nodeArgs: string[]) => execFileSync(process.execPath, nodeArgs, { encoding: "utf8" }).trim();

describe("pods run their entry bundled to JavaScript", () => {
  it("bundles once, runs with plain node, and reuses the bundle while the sources are unchanged", async () => {
    const { bundles } = await project();
    const first = await bundles.command("app/main.ts");
    expect(first.how).toBe("bundle");
    expect(first.nodeArgs).toHaveLength(1);
    expect(run(first.nodeArgs)).toBe("hello");
    const bundled = await fs.stat(first.nodeArgs[0]!);
    const second = await bundles.command("app/main.ts");
    expect(second.nodeArgs).toEqual(first.nodeArgs);
    expect((await fs.stat(second.nodeArgs[0]!)).mtimeMs).toBe(bundled.mtimeMs);
  });

  it("rebuilds when an imported source changed, as tsx would have picked the edit up", async () => {
    const { root, bundles } = await project();
    await bundles.command("app/main.ts");
    const file = path.join(root, "app", "greeting.ts");
    await fs.writeFile(file, 'export const greeting: string = "edited";\n');
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(file, later, later);
    expect(run((await bundles.command("app/main.ts")).nodeArgs)).toBe("edited");
  });

  it("a later process reuses a bundle that is still current, and rebuilds one whose sources changed", async () => {
    const { root, bundles } = await project();
    const first = await bundles.command("app/main.ts");
    const built = (await fs.stat(first.nodeArgs[0]!)).mtimeMs;
    const later = new EntryBundles(root, path.join(root, "bundles"));
    const reused = await later.command("app/main.ts");
    expect(reused.nodeArgs).toEqual(first.nodeArgs);
    expect((await fs.stat(reused.nodeArgs[0]!)).mtimeMs).toBe(built);
    const file = path.join(root, "app", "greeting.ts");
    await fs.writeFile(file, 'export const greeting: string = "edited";\n');
    const edited = new Date(Date.now() + 5_000);
    await fs.utimes(file, edited, edited);
    expect(run((await new EntryBundles(root, path.join(root, "bundles")).command("app/main.ts")).nodeArgs)).toBe("edited");
  });

  it("each module keeps its own import.meta.url, so paths relative to a source file still resolve", async () => {
    const { root, bundles } = await project();
    await fs.mkdir(path.join(root, "lib"));
    await fs.writeFile(path.join(root, "lib", "where.ts"), 'import { fileURLToPath } from "node:url";\nexport const here = fileURLToPath(import.meta.url);\n');
    await fs.writeFile(path.join(root, "app", "where-main.ts"), 'import { here } from "../lib/where.ts";\nconsole.log(here);\n');
    expect(run((await bundles.command("app/where-main.ts")).nodeArgs)).toBe(path.join(root, "lib", "where.ts"));
  });

  it("falls back to tsx, saying why, when the entry cannot be bundled", async () => {
    const { root, bundles } = await project();
    await fs.writeFile(path.join(root, "app", "broken.ts"), 'import { nothing } from "./missing.ts";\nconsole.log(nothing);\n');
    const command = await bundles.command("app/broken.ts");
    expect(command.nodeArgs).toEqual(["--import", "tsx", path.join(root, "app", "broken.ts")]);
    expect(command.how).toMatch(/^tsx \(bundling failed: /);
  });
});
