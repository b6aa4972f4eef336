/**
 * Where k6 (the canary's load generator, a host process on every provider) comes from, in order:
 *   1. the lab's tool cache (`~/.cache/chaoslab/k6-<version>/k6`, built by `chaoslab lab setup`);
 *   2. a `k6` on PATH (what users with Grafana's package have), with a warning when its version differs;
 *   3. a build from the Go module proxy into the cache, when Go is there (a few minutes, once).
 * Otherwise the error says how to get it. The version is pinned in cluster/versions.json ("k6").
 */
import path from "node:path";
import { $ } from "zx";
import versions from "../versions.json" with { type: "json" };
import { k6Component } from "../build/components.ts";
import { isBuilt, locate, MissingToolchainError, provision } from "../build/provision.ts";

export interface K6Sources {
  /** The cached build, if there is one. */
  cached(): Promise<string | undefined>;
  /** `k6 version` of a k6 on PATH, if there is one. */
  onPath(): Promise<{ binary: string; version: string } | undefined>;
  /** Builds into the cache; throws MissingToolchainError without Go. */
  build(log: (line: string) => void): Promise<string>;
}

const defaultK6Sources: K6Sources = {
  async cached() {
    const location = await locate(k6Component);
    return (await isBuilt(location)) ? path.join(location.dir, "k6") : undefined;
  },
  async onPath() {
    const result = await $({ quiet: true, nothrow: true, timeout: "20s" })`k6 version`.catch(() => undefined);
    if (!result || result.exitCode !== 0) return undefined;
    return { binary: "k6", version: /v\d+\.\d+\.\d+/.exec(result.stdout)?.[0] ?? result.stdout.trim() };
  },
  async build(log) {
    const [report] = await provision({ only: ["k6"], log });
    return path.join(report!.dir, "k6");
  },
};

export async function provideK6(options: { log?: (line: string) => void; sources?: K6Sources } = {}): Promise<string> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sources = options.sources ?? defaultK6Sources;
  const cached = await sources.cached();
  if (cached) return cached;
  const found = await sources.onPath();
  if (found) {
    if (found.version !== versions.k6) log(`warning: k6 ${found.version} found on PATH; the lab is pinned to ${versions.k6} (cluster/versions.json)`);
    return found.binary;
  }
  log(`k6 ${versions.k6} is neither in the tool cache nor on PATH: building it from the Go module proxy (a few minutes, once)`);
  try {
    return await sources.build(log);
  } catch (error) {
    if (!(error instanceof MissingToolchainError)) throw error;
    throw new Error(
      `k6 ${versions.k6} is needed for the canary's load and cannot be provisioned here: ${error.message}\n` +
        `What to do: install k6 (Grafana's package \`k6\`, https://grafana.com/docs/k6/latest/set-up/install-k6/) and put it on PATH, ` +
        `or install Go and run \`node bin/chaoslab.mjs lab setup\` to build it (go install go.k6.io/k6@${versions.k6}).`,
    );
  }
}
