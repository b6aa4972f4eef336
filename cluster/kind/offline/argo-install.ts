/**
 * Argo Rollouts' install manifest, offline: the release asset `install.yaml` is
 * `manifests/install.yaml` of the same tag with the controller's image set to that tag (the release
 * workflow runs `kustomize edit set image`). The Go module of that tag holds the file (the sim already
 * downloads it), so the air-gapped build pins the image the same way and writes the result where the
 * kind provider caches the downloaded asset: `lab up` finds it cached and downloads nothing.
 */
import fs from "node:fs/promises";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { cachedManifestPaths, kindCacheDir } from "../config.ts";
import { downloadModule } from "./go-binaries.ts";
import type { StepLog } from "./steps.ts";

const CONTROLLER_IMAGE = "quay.io/argoproj/argo-rollouts";

/**
 * The module's install.yaml with the controller image at `version` and pulled only if absent (it is
 * loaded into kind, never pulled). Throws when the file no longer has the line this relies on.
 */
export function pinArgoRolloutsInstall(moduleInstallYaml: string, version: string): string {
  const pattern = new RegExp(`^(\\s*-?\\s*)image: ${CONTROLLER_IMAGE.replaceAll(".", "\\.")}:latest\\n(\\s*)imagePullPolicy: Always$`, "m");
  if (!pattern.test(moduleInstallYaml)) {
    throw new Error(
      `Argo Rollouts' manifests/install.yaml has no "image: ${CONTROLLER_IMAGE}:latest" followed by "imagePullPolicy: Always"; ` +
        "the upstream layout changed: update cluster/kind/offline/argo-install.ts",
    );
  }
  return moduleInstallYaml.replace(pattern, `$1image: ${CONTROLLER_IMAGE}:${version}\n$2imagePullPolicy: IfNotPresent`);
}

export async function seedArgoRolloutsInstall(steps: StepLog, cacheDir = kindCacheDir()): Promise<string> {
  const target = cachedManifestPaths(cacheDir, versions).argoRollouts;
  const marker = `# Pinned offline from github.com/argoproj/argo-rollouts@${versions.argoRollouts} manifests/install.yaml\n`;
  await steps.step(
    `Argo Rollouts ${versions.argoRollouts} install manifest (Go module, image pinned)`,
    async () => (await fs.readFile(target, "utf8").catch(() => "")).length > 0,
    async () => {
      const moduleDir = await downloadModule("github.com/argoproj/argo-rollouts", versions.argoRollouts);
      const pinned = pinArgoRolloutsInstall(await fs.readFile(path.join(moduleDir, "manifests", "install.yaml"), "utf8"), versions.argoRollouts);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(`${target}.partial`, marker + pinned);
      await fs.rename(`${target}.partial`, target);
    },
  );
  return target;
}
