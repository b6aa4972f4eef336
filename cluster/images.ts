/**
 * The lab's own images: one source of truth for the process runtime (sim: image → entry point), the
 * kwok stages (which must leave these pods alone), and the kind provider (docker build + kind load).
 * A container image `chaoslab/<name>:<tag>` runs `<entry>`; the tag reaches the process as IMAGE_TAG,
 * so a pod-template change of tag is a real new revision on every provider.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface LabImage {
  /** Repository part of the image reference, e.g. `chaoslab/loader`. */
  repository: string;
  /** TypeScript entry point, relative to the repository root. */
  entry: string;
  /** Dockerfile (relative to the repository root) that builds the same program as an image. */
  dockerfile: string;
}

export const LAB_IMAGES: readonly LabImage[] = [
  { repository: "chaoslab/loader", entry: "workloads/loader/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/arango-connector", entry: "workloads/arango-connector/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/queue-manager", entry: "workloads/queue-manager/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/healer", entry: "healer/src/main.ts", dockerfile: "healer/Dockerfile" },
  { repository: "chaoslab/task", entry: "workloads/task/main.ts", dockerfile: "workloads/Dockerfile" },
];

/** Tags the sim knows for stage exclusions; any tag works for the process runtime itself. */
export const LAB_IMAGE_TAGS = ["dev", "v1", "v2", "v2-bad", "v2-good"] as const;

function parseImage(reference: string): { repository: string; tag: string } {
  const at = reference.lastIndexOf(":");
  const slash = reference.lastIndexOf("/");
  if (at > slash) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  return { repository: reference, tag: "latest" };
}

export function findLabImage(reference: string): (LabImage & { tag: string }) | undefined {
  const { repository, tag } = parseImage(reference);
  const image = LAB_IMAGES.find((candidate) => candidate.repository === repository);
  return image ? { ...image, tag } : undefined;
}

/** Every `repository:tag` combination that names a lab image (for kwok's exclusion list). */
export function labImageReferences(): string[] {
  return LAB_IMAGES.flatMap((image) => LAB_IMAGE_TAGS.map((tag) => `${image.repository}:${tag}`));
}
