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
  /**
   * How the image starts its program, where it differs from plain `node <entry>`: the Dockerfile's
   * ENTRYPOINT node flags and ENV. The sim's process runtime starts the image's pods with the same
   * (the pod's own env still wins, as over an image's ENV), so a pod measures the same on both.
   */
  runtime?: { nodeFlags: readonly string[]; env: Readonly<Record<string, string>> };
}

/**
 * The healer's runtime (healer/Dockerfile; bench/healer-runtime.test.ts checks the file still says so):
 *
 * - `--max-semi-space-size=2` (MiB, V8's young generation; Node 20 grows it to 16 MiB per semi-space):
 *   records are short-lived, and the survivors of a scavenge are the batch in hand (a few hundred KiB with
 *   the healer's fetch sizing), so a small nursery costs no throughput and keeps ~30 MiB off the heap.
 * - glibc malloc: kafkajs reads every fetch response in chunks and concatenates them (large, short-lived
 *   Buffers, malloc'd outside the V8 heap); glibc's dynamic mmap threshold then served them from its
 *   heap and kept tens of MiB of freed Buffers resident (RSS 40-60 MiB above heap + external). Fixed
 *   thresholds (128 KiB: mmap'd, unmapped on free; trim the heap top above 128 KiB) and 2 arenas:
 *   healer RSS 178-189 -> 140-162 MiB in the bench runs (single runs on a loaded machine).
 */
const HEALER_RUNTIME = {
  nodeFlags: ["--max-semi-space-size=2"],
  env: { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072" },
} as const;

export const LAB_IMAGES: readonly LabImage[] = [
  { repository: "chaoslab/loader", entry: "workloads/loader/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/arango-connector", entry: "workloads/arango-connector/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/queue-manager", entry: "workloads/queue-manager/main.ts", dockerfile: "workloads/Dockerfile" },
  { repository: "chaoslab/healer", entry: "healer/src/main.ts", dockerfile: "healer/Dockerfile", runtime: HEALER_RUNTIME },
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
