/**
 * How the healer's process is started, as its image does (healer/Dockerfile: ENV and ENTRYPOINT), so the
 * bench's workers run the same way; healer-runtime.test.ts checks the Dockerfile still says so. Both the
 * bare consumer and the healer get them: the two differ only in what they do with each record.
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
export const HEALER_NODE_FLAGS = ["--max-semi-space-size=2"] as const;
export const HEALER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "2",
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};
