import { describe, expect, it } from "vitest";
import { parseHostAddress } from "./provider.ts";

describe("parseHostAddress", () => {
  it("splits at the last colon; a bracketed IPv6 host loses its brackets (what net.connect takes)", () => {
    expect(parseHostAddress("127.0.0.1:9092")).toEqual({ host: "127.0.0.1", port: 9092 });
    expect(parseHostAddress("[::1]:30092")).toEqual({ host: "::1", port: 30092 });
  });

  it("refuses what is not host:port, naming it", () => {
    for (const bad of ["localhost", ":9092", "host:", "host:0", "host:70000", "host:9x"]) {
      expect(() => parseHostAddress(bad)).toThrow(`"${bad}" is not host:port`);
    }
  });
});
