/**
 * Whether the kind lab runs on the images built offline (`lab setup --provider kind --offline`) or on
 * upstream's (kindest/node, Strimzi, Argo Rollouts pulled from their registries). Decided once, from
 * `CHAOSLAB_KIND_OFFLINE` and the build record, so every process attaching to the lab decides alike:
 * - CHAOSLAB_KIND_OFFLINE=1: offline; a missing build is an error that says how to build it;
 * - CHAOSLAB_KIND_OFFLINE=0: online, even when an offline build exists;
 * - unset: offline when a build is recorded (it was made for this machine), else online.
 */
import fs from "node:fs";
import { type OfflineKindBuild, offlineManifestPath } from "./build.ts";

export type KindImageMode =
  | { kind: "online"; why: string }
  | { kind: "offline"; why: string; build: OfflineKindBuild }
  | { kind: "offline-missing"; why: string };

export const OFFLINE_SETUP_COMMAND = "make kind-offline-setup (node bin/chaoslab.mjs lab setup --provider kind --offline)";

export function kindImageMode(env: Readonly<Record<string, string | undefined>> = process.env, manifest = offlineManifestPath()): KindImageMode {
  const setting = env.CHAOSLAB_KIND_OFFLINE?.trim();
  if (setting === "0") return { kind: "online", why: "CHAOSLAB_KIND_OFFLINE=0" };
  let build: OfflineKindBuild | undefined;
  try {
    build = JSON.parse(fs.readFileSync(manifest, "utf8")) as OfflineKindBuild;
  } catch {
    build = undefined;
  }
  if (build?.nodeImage && build.binDir && build.kafkaImage) return { kind: "offline", why: `air-gapped images built (${manifest})`, build };
  if (setting === "1") {
    return { kind: "offline-missing", why: `CHAOSLAB_KIND_OFFLINE=1 but ${manifest} ${build ? "is from an older build (no binDir/kafkaImage)" : "does not exist"}` };
  }
  return { kind: "online", why: `no air-gapped build (${manifest}); images are pulled from their registries` };
}
