/**
 * The house rules a newcomer relies on (issue 11), computed from the tree: no import cycle, no upward
 * import between layers, the healer's controller sees only the queue-events contract, and no file or
 * function too long to hold in one's head. The rule functions are checked on small graphs first, so a
 * green result on the tree means the rules ran, not that they cannot fail.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  cycles,
  filesOverLimit,
  folderEdges,
  functionsOverLimit,
  GRAPH_ROOTS,
  importGraph,
  MAX_FILE_LINES,
  MAX_FUNCTION_LINES,
  upwardImports,
  type ImportGraph,
} from "./structure.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Every folder of TypeScript the project owns, for the size rules. */
const ALL_SOURCE_ROOTS = [...GRAPH_ROOTS, "bench", "ci", "scenarios"];

const graphOf = (edges: Record<string, string[]>): ImportGraph => ({ edges: new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)])) });

describe("the rules themselves", () => {
  it("find a cycle between files and between folders, and nothing in a DAG", () => {
    expect(cycles(graphOf({ "a/x.ts": ["a/y.ts"], "a/y.ts": ["b/z.ts"], "b/z.ts": ["a/x.ts"] }).edges)).toEqual([["a/x.ts", "a/y.ts", "b/z.ts"]]);
    const folders = folderEdges(graphOf({ "a/x.ts": ["b/y.ts"], "b/z.ts": ["a/w.ts"], "b/y.ts": [], "a/w.ts": [] }));
    expect(cycles(folders)).toEqual([["a", "b"]]);
    expect(cycles(graphOf({ "a/x.ts": ["a/y.ts", "b/z.ts"], "a/y.ts": ["b/z.ts"], "b/z.ts": [] }).edges)).toEqual([]);
  });

  it("find an import from a lower layer to a higher one", () => {
    expect(upwardImports(graphOf({ "reports/r.ts": ["harness/h.ts"], "harness/h.ts": ["reports/r.ts"], "healer/src/x.ts": ["workloads/y.ts"] }))).toEqual([
      "reports/r.ts → harness/h.ts",
    ]);
  });
});

describe("the tree", () => {
  const graph = importGraph(REPO_ROOT);

  it("reads the project's imports (the graph is not empty)", () => {
    const edgeCount = [...graph.edges.values()].reduce((sum, targets) => sum + targets.size, 0);
    expect(graph.edges.size).toBeGreaterThan(100);
    expect(edgeCount).toBeGreaterThan(300);
  });

  it("has no import cycle between files", () => {
    expect(cycles(graph.edges)).toEqual([]);
  });

  it("has no import cycle between folders", () => {
    expect(cycles(folderEdges(graph))).toEqual([]);
  });

  it("has no upward import (workloads < healer < cluster < reports < harness)", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("lets the healer's controller import only the queue-events contract", () => {
    const outside = [...graph.edges]
      .filter(([file]) => file.startsWith("healer/src/"))
      .flatMap(([file, targets]) => [...targets].filter((target) => !target.startsWith("healer/src/") && !target.startsWith("workloads/queue-events/")).map((target) => `${file} → ${target}`));
    expect(outside).toEqual([]);
  });

  it(`has no source file over ${MAX_FILE_LINES} lines`, () => {
    expect(filesOverLimit(REPO_ROOT, ALL_SOURCE_ROOTS)).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(functionsOverLimit(REPO_ROOT, ALL_SOURCE_ROOTS)).toEqual([]);
  });
});
