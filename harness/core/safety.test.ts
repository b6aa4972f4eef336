import { describe, expect, it } from "vitest";
import { CHAOS_OPT_IN_LABEL, checkSafety, isOptedIn, safetySchema } from "./safety.ts";

const policy = safetySchema.parse({ allowedNamespaces: ["streamforge"], maxTargets: 2, maxPercent: 50 });
const pod = (name: string, namespace = "streamforge", optedIn = true) => ({ label: `pod ${namespace}/${name}`, namespace, optedIn });

describe("safety policy", () => {
  it("defaults to one target in streamforge", () => {
    expect(safetySchema.parse(undefined)).toEqual({ allowedNamespaces: ["streamforge"], maxTargets: 1, maxPercent: 100 });
  });

  it("accepts targets inside every limit", () => {
    expect(checkSafety([pod("a"), pod("b")], 4, policy)).toEqual({ ok: true, violations: [] });
  });

  it("rejects a namespace that is not allowed", () => {
    const verdict = checkSafety([pod("a", "payments")], 4, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.violations).toEqual(["pod payments/a: namespace payments is not in safety.allowedNamespaces [streamforge]"]);
  });

  it("says so when the namespace is a protected one, and allows it only when listed", () => {
    expect(checkSafety([pod("a", "kube-system")], 4, policy).violations).toEqual([
      "pod kube-system/a: kube-system is a protected namespace; only a scenario that lists it in safety.allowedNamespaces may touch it",
    ]);
    expect(checkSafety([pod("a", "kube-system")], 4, { ...policy, allowedNamespaces: ["kube-system"] }).ok).toBe(true);
  });

  it("rejects a pod that is not opted in, naming the label to add", () => {
    expect(checkSafety([pod("a", "streamforge", false)], 4, policy).violations[0]).toContain(`${CHAOS_OPT_IN_LABEL.key}=${CHAOS_OPT_IN_LABEL.value}`);
  });

  it("caps the count and the share of candidates", () => {
    expect(checkSafety([pod("a"), pod("b"), pod("c")], 10, policy).violations).toEqual(["3 targets selected, safety.maxTargets is 2"]);
    expect(checkSafety([pod("a"), pod("b")], 3, policy).violations).toEqual(["2 of 3 candidates (67%) selected, safety.maxPercent is 50"]);
    expect(checkSafety([{ label: "broker 2" }], 3, safetySchema.parse({ maxPercent: 34 })).ok).toBe(true);
  });

  it("opts in by pod label or namespace label", () => {
    const label = { [CHAOS_OPT_IN_LABEL.key]: CHAOS_OPT_IN_LABEL.value };
    expect(isOptedIn(label, undefined)).toBe(true);
    expect(isOptedIn({}, label)).toBe(true);
    expect(isOptedIn({ app: "loader" }, {})).toBe(false);
  });
});
