/**
 * The lab's own images on kind: built with `docker build` from their Dockerfiles (upstream mode; the
 * air-gapped build has made them already) and loaded into the nodes with `kind load docker-image`,
 * since the nodes pull from no registry of ours.
 */
import path from "node:path";
import { LAB_IMAGES } from "../../images.ts";
import { type CommandRunner, runOrThrow } from "../../kind/command-runner.ts";
import { KIND_CLUSTER_NAME } from "../../kind/config.ts";
import { type Clock, formatDuration } from "../../kind/wait.ts";

const TIMEOUTS_MS = { dockerBuild: 20 * 60_000, kindLoad: 15 * 60_000 } as const;

export interface LabImageBuild {
  runner: CommandRunner;
  /** Build context of the lab images and where their Dockerfiles are looked up. */
  repoRoot: string;
  /** Tags built for every lab image (the canary's manifests reference v1, v2, ...). */
  imageTags: readonly string[];
  clock: Clock;
}

export async function buildAndLoadLabImages(build: LabImageBuild, log: (line: string) => void): Promise<void> {
  const { runner, repoRoot, clock } = build;
  const references: string[] = [];
  const dockerStep = (reference: string, dockerfile: string) => ({
    what: `docker build ${reference}`,
    hint: `run the same \`docker build\` by hand to see the full output; fix ${dockerfile}`,
  });
  for (const image of LAB_IMAGES) {
    const devReference = `${image.repository}:dev`;
    const startedAt = clock.now();
    // The Dockerfile contract: ARG ENTRY (the program, as in cluster/images.ts) and ARG IMAGE_TAG (→ ENV IMAGE_TAG).
    await runOrThrow(
      runner,
      {
        command: "docker",
        args: ["build", "--file", path.join(repoRoot, image.dockerfile), "--tag", devReference, "--build-arg", `ENTRY=${image.entry}`, "--build-arg", "IMAGE_TAG=dev", repoRoot],
        timeoutMs: TIMEOUTS_MS.dockerBuild,
      },
      dockerStep(devReference, image.dockerfile),
    );
    references.push(devReference);
    // Other tags are the same program with a different IMAGE_TAG (a real new revision for the canary):
    // a one-line image on top of :dev, built without a context, so it costs a layer, not a rebuild.
    for (const tag of build.imageTags.filter((candidate) => candidate !== "dev")) {
      const reference = `${image.repository}:${tag}`;
      await runOrThrow(
        runner,
        { command: "docker", args: ["build", "--tag", reference, "-"], input: `FROM ${devReference}\nENV IMAGE_TAG=${tag}\n`, timeoutMs: 120_000 },
        dockerStep(reference, image.dockerfile),
      );
      references.push(reference);
    }
    log(`  built ${image.repository} (${formatDuration(clock.now() - startedAt)})`);
  }
  await loadImagesIntoKind(runner, references);
}

export async function loadImagesIntoKind(runner: CommandRunner, references: string[]): Promise<void> {
  await runOrThrow(
    runner,
    { command: "kind", args: ["load", "docker-image", "--name", KIND_CLUSTER_NAME, ...references], timeoutMs: TIMEOUTS_MS.kindLoad },
    { what: `load ${references.length} lab images into kind cluster ${KIND_CLUSTER_NAME}`, hint: "check free disk space of the Docker engine (`docker system df`)" },
  );
}
