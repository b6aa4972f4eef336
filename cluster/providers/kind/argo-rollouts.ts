/**
 * Argo Rollouts on kind: the release's install manifest, downloaded once into the cache (upstream), or
 * the one the air-gapped build wrote there from the Go module with the image pinned (offline: nothing
 * is downloaded, so a missing file is an error that says how to build it).
 */
import type { Versions } from "../../manifests/kind-manifests.ts";
import { cachedManifestPaths, releaseUrls } from "../../kind/config.ts";
import { type Download, cachedDownload } from "../../kind/download.ts";
import type { Log } from "../../kind/kind-kafka.ts";
import type { Kubectl } from "../../kind/kubectl.ts";
import { OFFLINE_SETUP_COMMAND } from "../../kind/offline/mode.ts";

/** The CRDs the install brings; `lab up` waits for them to be established. */
export const ARGO_ROLLOUTS_CRDS = ["rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"];

export interface ArgoRolloutsInstall {
  kubectl: Kubectl;
  versions: Versions;
  cacheDir: string;
  download: Download;
  offline: boolean;
}

export async function installArgoRollouts(install: ArgoRolloutsInstall, log: Log): Promise<void> {
  const { versions, cacheDir, offline } = install;
  const url = releaseUrls(versions).argoRollouts;
  const cacheFile = cachedManifestPaths(cacheDir, versions).argoRollouts;
  const download: Download = offline
    ? async () => {
        throw new Error(`${cacheFile} is missing: the air-gapped build writes it (from the Go module) and nothing is downloaded offline; run ${OFFLINE_SETUP_COMMAND}`);
      }
    : install.download;
  const { text, fromCache } = await cachedDownload(url, cacheFile, download);
  log(offline ? `  ${cacheFile} (from the Go module, image pinned)` : `  ${fromCache ? "cached" : "downloaded"} ${url}`);
  await install.kubectl.applyText(text, { what: `apply the Argo Rollouts ${versions.argoRollouts} install manifest`, hint: `check the cluster is reachable; the file is cached at ${cacheDir}` }, { namespace: "argo-rollouts", timeoutMs: 300_000 });
}
