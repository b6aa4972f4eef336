/**
 * Which of the matching candidates a fault hits: `one`, `count` (n), `percent` (p% of the matches,
 * rounded down, at least one) or `all`. Candidates are sorted by a stable key before the seeded shuffle,
 * so the same seed and the same cluster state pick the same targets (`chaoslab plan` shows them).
 */
import { z } from "zod";
import { shuffled, type Rng } from "./rng.ts";

export const SELECTION_MODES = ["one", "count", "percent", "all"] as const;
export type SelectionMode = (typeof SELECTION_MODES)[number];

export interface Selection {
  mode: SelectionMode;
  count?: number;
  percent?: number;
}

/** The `mode`/`count`/`percent` fields, spread into a fault's target object. */
export const selectionShape = {
  mode: z.enum(SELECTION_MODES).default("one").meta({ description: "How many of the matching candidates to hit." }),
  count: z.number().int().positive().optional().meta({ description: "With mode: count — how many." }),
  percent: z.number().gt(0).max(100).optional().meta({ description: "With mode: percent — this share of the matches, rounded down, at least one." }),
};

/** Cross-field rule for `selectionShape`; zod refinements do not reach the JSON Schema, so editors miss it, the loader does not. */
export function checkSelection(value: Selection, ctx: z.RefinementCtx): void {
  if (value.mode === "count" && value.count === undefined) {
    ctx.addIssue({ code: "custom", path: ["count"], message: "mode: count needs `count: <n>`" });
  }
  if (value.mode === "percent" && value.percent === undefined) {
    ctx.addIssue({ code: "custom", path: ["percent"], message: "mode: percent needs `percent: <1-100>`" });
  }
  if (value.mode !== "count" && value.count !== undefined) {
    ctx.addIssue({ code: "custom", path: ["count"], message: `count only applies to mode: count (mode is ${value.mode})` });
  }
  if (value.mode !== "percent" && value.percent !== undefined) {
    ctx.addIssue({ code: "custom", path: ["percent"], message: `percent only applies to mode: percent (mode is ${value.mode})` });
  }
}

export class SelectionError extends Error {
  override name = "SelectionError";
}

/** How many targets a selection asks for out of `available` candidates. */
export function requestedCount(selection: Selection, available: number): number {
  switch (selection.mode) {
    case "one":
      return 1;
    case "count":
      return selection.count ?? 1;
    case "percent":
      return available === 0 ? 0 : Math.max(1, Math.floor((available * (selection.percent ?? 100)) / 100));
    case "all":
      return available;
  }
}

/**
 * Picks targets. `key` gives the stable sort key (namespace/name, node id). Throws when fewer candidates
 * match than the selection asks for: hitting fewer targets than written would make the scenario lie.
 */
export function selectTargets<T>(candidates: readonly T[], selection: Selection, rng: Rng, key: (item: T) => string): T[] {
  const sorted = [...candidates].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const wanted = requestedCount(selection, sorted.length);
  if (sorted.length === 0) throw new SelectionError("no candidate matched the target");
  if (wanted > sorted.length) {
    throw new SelectionError(
      `the target matched ${sorted.length} candidate(s) (${sorted.map(key).join(", ")}) but mode ${selection.mode} asks for ${wanted}`,
    );
  }
  return shuffled(sorted, rng).slice(0, wanted).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}
