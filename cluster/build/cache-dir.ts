/**
 * The machine's cache of built upstream components, one home for its location: the sim's components
 * (build/provision.ts), the air-gapped kind build (kind/offline/) and kind's downloaded manifests all
 * live under it, so one `CHAOSLAB_CACHE_DIR` moves all of them (tests point it at a temporary dir).
 */
import os from "node:os";
import path from "node:path";

/** `$CHAOSLAB_CACHE_DIR`, or `~/.cache/chaoslab`; entries are keyed by version, so it survives checkouts. */
export function cacheDir(): string {
  return process.env.CHAOSLAB_CACHE_DIR ?? path.join(os.homedir(), ".cache", "chaoslab");
}
