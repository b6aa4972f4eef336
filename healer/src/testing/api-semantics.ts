/** Label selectors (equality and existence) and RFC 7386 merge patches, as the fake API server applies them. */

export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .every((requirement) => {
      const [key, value] = requirement.split("=", 2) as [string, string | undefined];
      if (value === undefined) return labels?.[key] !== undefined;
      return labels?.[key] === value;
    });
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
