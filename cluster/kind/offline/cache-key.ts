/**
 * Cache keys of the offline kind build: every artifact (a binary directory under ~/.cache/chaoslab, or a
 * Docker image tag) is named by what it is, its pinned version and a hash of every input it is built from
 * (files of the repo, rendered configs, the keys of the artifacts it is built on). A changed input makes
 * a new key, so a stale artifact is never reused and nothing has to be invalidated by hand.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

export type CacheInput = string | Uint8Array | { file: string } | { dir: string };

const HASH_CHARS = 10;

/** Hash of the inputs in order; a file counts by its path relative to nothing but its content. */
export async function hashInputs(inputs: readonly CacheInput[]): Promise<string> {
  const hash = createHash("sha256");
  for (const input of inputs) {
    if (typeof input === "string" || input instanceof Uint8Array) {
      hash.update(typeof input === "string" ? `s:${input.length}:` : `b:${input.length}:`);
      hash.update(input);
    } else if ("file" in input) {
      const content = await fs.readFile(input.file);
      hash.update(`f:${path.basename(input.file)}:${content.length}:`);
      hash.update(content);
    } else {
      for (const file of await listFiles(input.dir)) {
        const content = await fs.readFile(path.join(input.dir, file));
        const mode = (await fs.stat(path.join(input.dir, file))).mode & 0o111 ? "x" : "-";
        hash.update(`d:${file}:${mode}:${content.length}:`);
        hash.update(content);
      }
    }
  }
  return hash.digest("hex").slice(0, HASH_CHARS);
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const entries = await fs.readdir(path.join(dir, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/** `<name>-<version>-<hash>`, with characters a directory name or Docker tag cannot hold replaced. */
export function artifactKey(name: string, version: string, inputsHash: string): string {
  const safeVersion = version.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${name}-${safeVersion}-${inputsHash}`;
}

/** A Docker tag for an artifact key (tags: at most 128 chars of [A-Za-z0-9_.-], not starting with . or -). */
export function imageTag(repository: string, version: string, inputsHash: string): string {
  const tag = `${version.replace(/[^A-Za-z0-9_.-]/g, "_")}-${inputsHash}`.replace(/^[.-]/, "_").slice(0, 128);
  return `${repository}:${tag}`;
}

