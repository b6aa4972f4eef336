/**
 * Chainsaw/kuttl-style partial matching: every field written in `expected` must be present with an
 * equal value in `actual`; fields not written are ignored. Lists match element by element and must have
 * the same length (a partial list would silently accept extra containers or conditions).
 */
export interface Mismatch {
  path: string;
  expected: unknown;
  found: unknown;
}

export function partialMatch(expected: unknown, actual: unknown, path = ""): Mismatch | undefined {
  if (expected === null || typeof expected !== "object") {
    return sameScalar(expected, actual) ? undefined : { path: path || "(root)", expected, found: actual };
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { path: path || "(root)", expected: "a list", found: actual };
    if (actual.length !== expected.length) return { path: path || "(root)", expected: `${expected.length} items`, found: `${actual.length} items` };
    for (let i = 0; i < expected.length; i++) {
      const mismatch = partialMatch(expected[i], actual[i], `${path}[${i}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
    return { path: path || "(root)", expected: "a mapping", found: actual };
  }
  for (const [key, value] of Object.entries(expected)) {
    const mismatch = partialMatch(value, (actual as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    if (mismatch) return mismatch;
  }
  return undefined;
}

// YAML scalars are typed; the API answers with its own types. `replicas: 3` equals 3, and a string
// "3" is a different value on purpose (Kubernetes distinguishes them too). Dates compare as ISO text.
function sameScalar(expected: unknown, actual: unknown): boolean {
  if (actual instanceof Date) return typeof expected === "string" && actual.toISOString() === new Date(expected).toISOString();
  return Object.is(expected, actual);
}

export function describeMismatch(mismatch: Mismatch): string {
  return `${mismatch.path}: expected ${JSON.stringify(mismatch.expected)}, found ${mismatch.found === undefined ? "nothing" : JSON.stringify(mismatch.found)}`;
}
