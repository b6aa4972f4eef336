import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, parseDurationMs, requireDuration } from "./duration.ts";

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["5s", 5_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    ["0s", 0],
  ])("parses %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ["5", "(the unit is missing)"],
    ["5 s", 'cannot read "5 s"'],
    ["5sec", 'cannot read "ec"'],
    ["-5s", 'cannot read "-5s"'],
    ["", "empty duration"],
  ])("rejects %j with a reason", (text, reason) => {
    const parsed = parseDuration(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it("formats back in the largest exact units", () => {
    expect([0, 250, 1_500, 5_000, 90_000, 3_600_000, 3_661_000].map(formatDuration)).toEqual(["0s", "250ms", "1500ms", "5s", "1m30s", "1h", "1h1m1s"]);
  });


  it("gives undefined or a named error for callers that report their own", () => {
    expect(parseDurationMs("1m30s")).toBe(90_000);
    expect(parseDurationMs("60")).toBeUndefined();
    expect(() => requireDuration("5", "LOADER_HEARTBEAT")).toThrow(/^LOADER_HEARTBEAT: invalid duration "5".*the unit is missing/);
  });
});
