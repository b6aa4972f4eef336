/**
 * The order scenarios that share the lab are started in: longest first, by how long each took the last
 * time it ran here (its detail file in reports/out/scenarios/). With a few slots, starting the long ones
 * first keeps a short one from starting last and outlasting everything else (measured: the suite's
 * side-by-side part took 118 s in file order where its longest member took 97 s). A scenario never run
 * here counts as longest (it might be); without any history the order stays as given.
 */
import fs from "node:fs/promises";
import path from "node:path";

/** Stable: equal or unknown durations keep their given order. */
export function longestFirst<T>(items: readonly T[], lastDurationMs: (item: T) => number | undefined): T[] {
  const key = (item: T) => lastDurationMs(item) ?? Number.POSITIVE_INFINITY;
  return items
    .map((item, index) => ({ item, index, key: key(item) }))
    .sort((a, b) => (a.key === b.key ? a.index - b.index : b.key - a.key))
    .map(({ item }) => item);
}

/** How long each named scenario took in its last run, from `<outDir>/scenarios/<name>.json`; unreadable or absent: unknown. */
export async function lastDurations(outDir: string, names: readonly string[]): Promise<Map<string, number>> {
  const durations = new Map<string, number>();
  await Promise.all(
    names.map(async (name) => {
      try {
        const result = JSON.parse(await fs.readFile(path.join(outDir, "scenarios", `${name}.json`), "utf8")) as { startedAt?: unknown; finishedAt?: unknown };
        const { startedAt, finishedAt } = result;
        if (typeof startedAt === "number" && typeof finishedAt === "number" && finishedAt >= startedAt) durations.set(name, finishedAt - startedAt);
      } catch {
        // No history for this one: it is scheduled as if longest.
      }
    }),
  );
  return durations;
}
