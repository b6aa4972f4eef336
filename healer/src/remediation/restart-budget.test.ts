import { describe, expect, it } from "vitest";
import { evaluateBudget, formatRestartHistory, HISTORY_LIMIT, parseRestartHistory } from "./restart-budget.ts";

const options = { maxRestarts: 3, windowMs: 3_600_000, backoffBaseMs: 30_000, backoffMaxMs: 600_000 };
const t0 = Date.UTC(2025, 0, 1, 12);

describe("restart budget", () => {
  it("round-trips the history annotation (RFC 3339, oldest first, bounded)", () => {
    const text = formatRestartHistory([t0 + 1000, t0]);
    expect(JSON.parse(text)).toEqual(["2025-01-01T12:00:01.000Z", "2025-01-01T12:00:00.000Z"]);
    expect(parseRestartHistory(text).restartsMs).toEqual([t0, t0 + 1000]);
    const many = Array.from({ length: 50 }, (_, index) => t0 + index);
    expect(JSON.parse(formatRestartHistory(many))).toHaveLength(HISTORY_LIMIT);
  });

  it("survives garbage in the annotation (reports it, treats it as empty)", () => {
    expect(parseRestartHistory("not json")).toMatchObject({ restartsMs: [], problem: expect.stringContaining("not JSON") });
    expect(parseRestartHistory('{"a":1}')).toMatchObject({ restartsMs: [], problem: expect.stringContaining("not a JSON array") });
    expect(parseRestartHistory('["2025-01-01T00:00:00Z", "soon"]')).toMatchObject({ restartsMs: [Date.UTC(2025, 0, 1)], problem: expect.any(String) });
    expect(parseRestartHistory(undefined)).toEqual({ restartsMs: [] });
  });

  it("allows the first restart at once, then backs off exponentially", () => {
    expect(evaluateBudget([], t0, options)).toEqual({ kind: "allow", restartsInWindow: 0 });
    expect(evaluateBudget([t0], t0 + 10_000, options)).toEqual({ kind: "backoff", restartsInWindow: 1, waitMs: 20_000 });
    expect(evaluateBudget([t0], t0 + 30_000, options)).toEqual({ kind: "allow", restartsInWindow: 1 });
    expect(evaluateBudget([t0, t0 + 30_000], t0 + 60_000, options)).toEqual({ kind: "backoff", restartsInWindow: 2, waitMs: 30_000 });
    expect(evaluateBudget([t0, t0 + 30_000], t0 + 90_000, options)).toEqual({ kind: "allow", restartsInWindow: 2 });
  });

  it("is exhausted after maxRestarts within the window (GaveUp)", () => {
    expect(evaluateBudget([t0, t0 + 30_000, t0 + 90_000], t0 + 600_000, options)).toEqual({ kind: "exhausted", restartsInWindow: 3 });
  });

  it("forgets restarts older than the window", () => {
    expect(evaluateBudget([t0, t0 + 30_000, t0 + 90_000], t0 + 3_600_001, options)).toEqual({ kind: "allow", restartsInWindow: 2 });
  });

  it("a timestamp from another replica's fast clock counts as now, not later", () => {
    expect(evaluateBudget([t0 + 3_600_000 * 5], t0, options)).toEqual({ kind: "backoff", restartsInWindow: 1, waitMs: 30_000 });
  });
});
