/**
 * The shape rules of the house, computed from the source (ci/structure.test.ts holds them):
 * - the import graph of the project's own folders has no cycle, between files or between folders;
 * - no folder imports one above it in LAYERS (a contract never reaches into what uses it);
 * - the healer's controller imports only the queue-events contract;
 * - no source file over MAX_FILE_LINES lines, no function over MAX_FUNCTION_LINES.
 * Imports are read with the TypeScript compiler (static, type-only and dynamic `import()`), so a
 * type-only cycle counts too: it is still two modules that cannot be understood one without the other.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 120;
export const GRAPH_ROOTS = ["harness", "reports", "healer", "cluster", "workloads"] as const;

/**
 * Folders from the bottom up: a folder may import its own layer and the layers below it, never above.
 * `workloads/` holds the contracts (queue-events, manifests) and the programs that run in the cluster;
 * `cluster/` brings a lab up; `healer/` is the operator (its controller sees only queue-events);
 * `reports/` renders results; `harness/` runs scenarios and is the only one that sees everything.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["workloads"],
  ["healer"],
  ["cluster"],
  ["reports"],
  ["harness"],
];

export interface ImportGraph {
  /** Repo-relative file → the repo-relative project files it imports. */
  edges: Map<string, Set<string>>;
}

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(full);
  }
}

export function sourceFiles(repoRoot: string, roots: readonly string[]): string[] {
  const files: string[] = [];
  for (const root of roots) {
    const dir = path.join(repoRoot, root);
    if (fs.existsSync(dir)) walk(dir, files);
  }
  return files.map((file) => path.relative(repoRoot, file)).sort();
}

function resolveImport(fromFile: string, specifier: string, repoRoot: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(repoRoot, path.dirname(fromFile), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")];
  const hit = candidates.find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
  return hit ? path.relative(repoRoot, hit) : undefined;
}

export function importGraph(repoRoot: string, roots: readonly string[] = GRAPH_ROOTS, includeTests = false): ImportGraph {
  const edges = new Map<string, Set<string>>();
  const files = sourceFiles(repoRoot, roots).filter((file) => includeTests || !isTestFile(file));
  const inGraph = new Set(files);
  for (const file of files) {
    const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
    const info = ts.preProcessFile(text, true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      const target = resolveImport(file, ref.fileName, repoRoot);
      if (target && inGraph.has(target) && target !== file) targets.add(target);
    }
    edges.set(file, targets);
  }
  return { edges };
}

export function isTestFile(file: string): boolean {
  return /\.test\.ts$/.test(file) || file.split(path.sep).some((part) => part === "testing" || part === "test" || part === "fixtures");
}

/** Strongly connected components of more than one node (Tarjan), each sorted: the import cycles. */
export function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

/** The graph of folders (each file's directory), for cycles between folders. */
export function folderEdges(graph: ImportGraph): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph.edges) {
    const from = path.dirname(file);
    const set = folders.get(from) ?? new Set<string>();
    for (const target of targets) if (path.dirname(target) !== from) set.add(path.dirname(target));
    folders.set(from, set);
  }
  return folders;
}

function layerOf(file: string): number {
  const top = file.split(path.sep)[0] ?? "";
  return LAYERS.findIndex((layer) => layer.includes(top));
}

/** Imports from a lower layer to a higher one, as "from → to". */
export function upwardImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph.edges) {
    for (const target of targets) if (layerOf(target) > layerOf(file)) found.push(`${file} → ${target}`);
  }
  return found.sort();
}

/** Generated files (first line `// @generated`) and test fixtures are data, not code a reader holds. */
function isSizeExempt(repoRoot: string, file: string): boolean {
  if (file.split(path.sep).includes("fixtures")) return true;
  return fs.readFileSync(path.join(repoRoot, file), "utf8").startsWith("// @generated");
}

export function filesOverLimit(repoRoot: string, roots: readonly string[], limit = MAX_FILE_LINES): string[] {
  return sourceFiles(repoRoot, roots)
    .filter((file) => !isSizeExempt(repoRoot, file))
    .map((file) => ({ file, lines: fs.readFileSync(path.join(repoRoot, file), "utf8").split("\n").length - 1 }))
    .filter(({ lines }) => lines > limit)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
}

/** Every function-like node (declarations, methods, arrows, function expressions) longer than the limit. */
export function functionsOverLimit(repoRoot: string, roots: readonly string[], limit = MAX_FUNCTION_LINES): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(repoRoot, roots).filter((candidate) => !isSizeExempt(repoRoot, candidate))) {
    const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && "body" in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        // A test file's describe/it callbacks are lists of cases, not functions a reader must hold at once.
        const isTestBlock = isTestFile(file) && ts.isCallExpression(node.parent) && /^(describe|it|test)\b/.test(node.parent.expression.getText(source));
        if (lines > limit && !isTestBlock) found.push(`${file}:${start + 1} ${functionName(node, source)}: ${lines} lines`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function functionName(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return "(anonymous)";
}
