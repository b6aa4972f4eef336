import { describe, expect, it } from "vitest";
import { labOnLane, parseHostAddress, type StartedLab } from "./provider.ts";

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

describe("labOnLane", () => {
  it("is the same lab with the network handles bound to the lane; the lab's methods still run on the lab", async () => {
    const calls: string[] = [];
    class Lab {
      readonly description = { provider: "sim" };
      readonly network = { lanes: [1, 2], onLane: (lane: number) => ({ lane }) };
      private readonly secret = "lab's own state";
      async status() {
        calls.push(this.secret);
        return {};
      }
    }
    const lab = new Lab() as unknown as StartedLab;
    const onLane = labOnLane(lab, 2);
    expect(onLane.network).toEqual({ lane: 2 });
    expect(onLane.description).toBe(lab.description);
    await onLane.status();
    expect(calls).toEqual(["lab's own state"]);
    expect(lab.network.lane).toBeUndefined();
  });

  it("refuses a lab without lanes, naming the provider", () => {
    const lab = { description: { provider: "kind" }, network: {} } as unknown as StartedLab;
    expect(() => labOnLane(lab, 1)).toThrow("the kind lab has no Kafka lanes (asked for lane 1)");
  });
});
