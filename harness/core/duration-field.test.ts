import { describe, expect, it } from "vitest";
import { duration } from "./duration-field.ts";

describe("the scenario schema's duration field", () => {
  it("is a zod field that yields milliseconds and enforces a minimum", () => {
    expect(duration().parse("2m")).toBe(120_000);
    expect(duration({ min: 100 }).safeParse("50ms").error?.issues[0]?.message).toBe('duration "50ms" is below the minimum 100ms');
    expect(duration().safeParse(5).error?.issues[0]?.message).toBe("expected a duration string (e.g. 500ms, 5s, 2m, 1m30s), found number 5");
  });
});
