import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classArchivePath, ensureClassArchive, restoreFormattedStorage, saveFormattedStorage } from "./kafka-startup.ts";

let cache: string;
let saved: string | undefined;
beforeEach(async () => {
  saved = process.env.CHAOSLAB_CACHE_DIR;
  cache = await fs.mkdtemp(path.join(os.tmpdir(), "kafka-startup-"));
  process.env.CHAOSLAB_CACHE_DIR = cache;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.CHAOSLAB_CACHE_DIR;
  else process.env.CHAOSLAB_CACHE_DIR = saved;
  await fs.rm(cache, { recursive: true, force: true });
});

const libsDir = "/cache/kafka-4.3.1-abc/libs";

describe("formatted storage templates", () => {
  it("restores what a first format saved, for the same node configuration wherever its data lives", async () => {
    const first = path.join(cache, "lab-a", "data");
    await fs.mkdir(first, { recursive: true });
    await fs.writeFile(path.join(first, "meta.properties"), "node.id=1\n");
    const properties = (dataDir: string) => `node.id=1\nlog.dirs=${dataDir}\n`;
    const second = path.join(cache, "lab-b", "data");
    expect(await restoreFormattedStorage(libsDir, 1, properties(second), second)).toBe(false);
    await saveFormattedStorage(libsDir, 1, properties(first), first);
    expect(await restoreFormattedStorage(libsDir, 1, properties(second), second)).toBe(true);
    expect(await fs.readFile(path.join(second, "meta.properties"), "utf8")).toBe("node.id=1\n");
  });

  it("does not hand a node the storage of another configuration", async () => {
    const data = path.join(cache, "lab", "data");
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, "meta.properties"), "node.id=1\n");
    await saveFormattedStorage(libsDir, 1, `node.id=1\nlog.dirs=${data}\n`, data);
    const other = path.join(cache, "other", "data");
    expect(await restoreFormattedStorage(libsDir, 1, `node.id=1\nnum.partitions=6\nlog.dirs=${other}\n`, other)).toBe(false);
    expect(await restoreFormattedStorage(libsDir, 2, `node.id=1\nlog.dirs=${other}\n`, other)).toBe(false);
  });
});

describe("the class archive", () => {
  it("is used as it is when it exists, without a training run", async () => {
    const archive = classArchivePath(libsDir);
    await fs.mkdir(path.dirname(archive), { recursive: true });
    await fs.writeFile(archive, "archive");
    let trained = false;
    const result = await ensureClassArchive(libsDir, async () => {
      trained = true;
      throw new Error("not expected");
    }, () => undefined);
    expect(result).toBe(archive);
    expect(trained).toBe(false);
  });

  it("is not made, and says so, when the training run cannot start; the brokers then start without it", async () => {
    const lines: string[] = [];
    const result = await ensureClassArchive(libsDir, async () => {
      throw new Error("port taken");
    }, (line) => lines.push(line));
    expect(result).toBeUndefined();
    expect(lines.join("\n")).toMatch(/class archive not made \(port taken\); brokers start without it/);
    expect(await fs.readdir(path.dirname(classArchivePath(libsDir)))).toEqual([]);
  });
});
