import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactKey, hashInputs, imageTag } from "./cache-key.ts";

describe("cache keys", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "cache-key-"));
    await fs.mkdir(path.join(dir, "tree", "sub"), { recursive: true });
    await fs.writeFile(path.join(dir, "main.go"), "package main\n");
    await fs.writeFile(path.join(dir, "tree", "a"), "a");
    await fs.writeFile(path.join(dir, "tree", "sub", "b"), "b");
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("is stable for the same inputs and changes when a file's content changes", async () => {
    const before = await hashInputs(["v1", { file: path.join(dir, "main.go") }]);
    expect(await hashInputs(["v1", { file: path.join(dir, "main.go") }])).toBe(before);
    await fs.writeFile(path.join(dir, "main.go"), "package main // changed\n");
    expect(await hashInputs(["v1", { file: path.join(dir, "main.go") }])).not.toBe(before);
  });

  it("covers every file of a directory, its name and whether it is executable", async () => {
    const tree = { dir: path.join(dir, "tree") };
    const before = await hashInputs([tree]);
    await fs.chmod(path.join(dir, "tree", "sub", "b"), 0o755);
    const afterChmod = await hashInputs([tree]);
    expect(afterChmod).not.toBe(before);
    await fs.rename(path.join(dir, "tree", "a"), path.join(dir, "tree", "c"));
    expect(await hashInputs([tree])).not.toBe(afterChmod);
  });

  it("does not confuse input boundaries (\"ab\",\"c\" is not \"a\",\"bc\")", async () => {
    expect(await hashInputs(["ab", "c"])).not.toBe(await hashInputs(["a", "bc"]));
  });

  it("names artifacts by name, version and hash, with characters a directory or tag cannot hold replaced", () => {
    expect(artifactKey("kube-node", "v1.34.4", "0123456789")).toBe("kube-node-v1.34.4-0123456789");
    expect(artifactKey("kafka", "4.3.1+log4j/2", "abc")).toBe("kafka-4.3.1_log4j_2-abc");
    expect(imageTag("chaoslab/kind-node", "v1.34.4+x", "abc")).toBe("chaoslab/kind-node:v1.34.4_x-abc");
    expect(imageTag("r", ".hidden", "abc")).toBe("r:_hidden-abc");
  });
});
