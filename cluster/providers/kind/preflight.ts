/**
 * The kind lab's preflight: what must be on this machine before a cluster is created — Docker, kind,
 * kubectl, and either the lab images' Dockerfiles (upstream images) or every air-gapped image in the
 * engine plus privileged containers (offline). Each failure says what to install or run.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { LAB_IMAGES } from "../../images.ts";
import type { Versions } from "../../manifests/kind-manifests.ts";
import { COMMAND_NOT_FOUND, type CommandRunner, probeCommand, runOrThrow } from "../../kind/command-runner.ts";
import { releaseUrls } from "../../kind/config.ts";
import { type OfflineKindBuild, offlineManifestPath } from "../../kind/offline/build.ts";
import { type KindImageMode, OFFLINE_SETUP_COMMAND } from "../../kind/offline/mode.ts";

export interface PreflightDeps {
  /** With `kind` and `kubectl` resolved to the offline build's when the lab runs offline. */
  runner: CommandRunner;
  versions: Versions;
  imageMode: KindImageMode;
  /** Where the lab images' Dockerfiles are looked up. */
  repoRoot: string;
}

export async function kindPreflight(deps: PreflightDeps, log: (line: string) => void): Promise<void> {
  const { runner, versions, imageMode } = deps;
  if (imageMode.kind === "offline-missing") {
    throw new Error(`the air-gapped kind images are not built: ${imageMode.why}.\nWhat to do: ${OFFLINE_SETUP_COMMAND}; or unset CHAOSLAB_KIND_OFFLINE to use upstream's images (needs internet access).`);
  }
  log(`  images: ${imageMode.kind === "offline" ? "air-gapped" : "upstream"} (${imageMode.why})`);
  const serverVersion = await runOrThrow(runner, probeCommand("docker", ["info", "--format", "{{.ServerVersion}}"]), {
    what: "reach the Docker engine with the docker CLI",
    hint: "start Docker (Docker Desktop, `sudo systemctl start docker`, `colima start`) and check `docker info`; or use the embedded lab: CLUSTER=sim",
  });
  log(`  docker engine ${serverVersion.trim()}`);

  const urls = releaseUrls(versions);
  const kind = await runner(probeCommand("kind", ["version"]));
  if (kind.exitCode !== 0) {
    throw new Error(
      `kind is not usable (\`kind version\` ${kind.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : `exited ${kind.exitCode}: ${kind.stderr.trim()}`}).\n` +
        `What to do: install kind ${versions.kind} — \`go install sigs.k8s.io/kind@${versions.kind}\` (puts it in $(go env GOPATH)/bin), ` +
        `or download ${urls.kind}, make it executable and put it on PATH; or use CLUSTER=sim.`,
    );
  }
  const kindVersion = /v\d+\.\d+\.\d+/.exec(kind.stdout)?.[0];
  if (kindVersion !== versions.kind) {
    log(`  warning: kind ${kindVersion ?? kind.stdout.trim()} found, the lab is pinned to ${versions.kind} (cluster/versions.json); node image ${versions.kindNodeImage} may not match it`);
  }

  const kubectl = await runner(probeCommand("kubectl", ["version", "--client", "-o", "json"]));
  if (kubectl.exitCode !== 0) {
    throw new Error(
      `kubectl is not usable (\`kubectl version --client\` ${kubectl.exitCode === COMMAND_NOT_FOUND ? "not found on PATH" : `exited ${kubectl.exitCode}`}).\n` +
        `What to do: install kubectl (https://kubernetes.io/docs/tasks/tools/), a version within one minor of ${versions.kindNodeImage.split(":")[1]}.`,
    );
  }

  if (imageMode.kind === "offline") {
    await preflightOffline(runner, imageMode.build, log);
    return;
  }
  const missing = [...new Set(LAB_IMAGES.map((image) => image.dockerfile))].filter((file) => !existsSync(path.join(deps.repoRoot, file)));
  if (missing.length > 0) {
    throw new Error(
      `lab image Dockerfiles missing: ${missing.join(", ")} (listed in cluster/images.ts, looked up under ${deps.repoRoot}).\n` +
        "What to do: add them, or fix the paths in cluster/images.ts.",
    );
  }
}

/** Every image the build recorded is in the engine, and the engine runs privileged containers (kind's nodes are). */
async function preflightOffline(runner: CommandRunner, build: OfflineKindBuild, log: (line: string) => void): Promise<void> {
  const images = [build.nodeImage, ...build.labImages];
  const listed = await runOrThrow(runner, probeCommand("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]), {
    what: "list the Docker engine's images",
    hint: "check `docker info`",
  });
  const present = new Set(listed.split("\n").map((line) => line.trim()));
  const missing = images.filter((image) => !present.has(image));
  if (missing.length > 0) {
    throw new Error(
      `the air-gapped kind lab needs ${missing.length} image(s) the Docker engine does not have: ${missing.slice(0, 6).join(", ")}${missing.length > 6 ? ", ..." : ""} ` +
        `(named in ${offlineManifestPath()}).\nWhat to do: build them again: ${OFFLINE_SETUP_COMMAND} (cached steps are skipped).`,
    );
  }
  const privileged = await runner({ command: "docker", args: ["run", "--rm", "--privileged", "--entrypoint", "true", build.componentBaseImage], timeoutMs: 120_000 });
  if (privileged.exitCode !== 0) {
    throw new Error(
      `the Docker engine refuses privileged containers (\`docker run --privileged\` exited ${privileged.exitCode}: ${privileged.stderr.trim().split("\n").pop()}); kind's nodes are privileged containers.\n` +
        "What to do: on a host whose capability bounding set lacks CAP_SYS_RESOURCE (nested or sandboxed Docker), run `sudo cluster/kind/offline/docker-host.sh`: " +
        "it registers the runtime shim runc-no-sys-resource as Docker's default runtime; elsewhere, allow privileged containers (rootless Docker cannot run kind's nodes: see kind's known issues).",
    );
  }
  log(`  ${images.length} air-gapped images present; privileged containers start`);
}
