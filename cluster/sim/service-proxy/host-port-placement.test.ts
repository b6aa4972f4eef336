import { describe, expect, it } from "vitest";
import type { PlaceableObject } from "../../provider.ts";
import { SIM_SERVICE_PORTS } from "../layout.ts";
import { claimedHostPorts, pickHostPorts, placeWithFreeHostPorts, withHostPorts } from "./host-port-placement.ts";
import { SIM_HOST_PORT_ANNOTATION } from "./routes.ts";

const service = (name: string, port?: string, deleting = false): PlaceableObject => ({
  kind: "Service",
  metadata: { name, ...(port === undefined ? {} : { annotations: { [SIM_HOST_PORT_ANNOTATION]: port } }), ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
});
const hostPortOf = (object: PlaceableObject) => object.metadata.annotations?.[SIM_HOST_PORT_ANNOTATION];
const AD_HOC = Array.from({ length: SIM_SERVICE_PORTS.last - SIM_SERVICE_PORTS.adHocFirst + 1 }, (_, i) => SIM_SERVICE_PORTS.adHocFirst + i);

describe("sim host ports for copied Services", () => {
  it("counts the ports of live Services as claimed, not those being deleted or unreadable", () => {
    const claimed = claimedHostPorts([service("a", "32550"), service("b", "32551", true), service("c", " 32552 "), service("d", "bad"), service("e")]);
    expect([...claimed].sort()).toEqual([32550, 32552]);
  });

  it("picks distinct free ports of the ad-hoc range, starting where the seed says, and says when none is left", () => {
    const claimed = new Set([32550, 32552]);
    const picked = pickHostPorts(3, claimed, "3fa2c1");
    expect(new Set(picked).size).toBe(3);
    for (const port of picked) {
      expect(AD_HOC).toContain(port);
      expect(claimed.has(port)).toBe(false);
    }
    expect(pickHostPorts(1, claimed, "9b01de")).not.toEqual(pickHostPorts(1, claimed, "3fa2c1"));
    expect(() => pickHostPorts(1, new Set(AD_HOC), "x")).toThrow(/all claimed/);
  });

  it("hands the ports to the Services that ask for one, in order, and leaves the input and other objects alone", () => {
    const rollout: PlaceableObject = { kind: "Rollout", metadata: { name: "queue-manager", annotations: { [SIM_HOST_PORT_ANNOTATION]: "32500" } } };
    const objects = [service("metrics", "32501"), rollout, service("plain"), service("queue-manager", "32500")];
    const placed = withHostPorts(objects, [32577, 32578]);
    expect(placed.map(hostPortOf)).toEqual(["32577", "32500", undefined, "32578"]);
    expect(placed[1]).toBe(rollout);
    expect(objects.map(hostPortOf)).toEqual(["32501", "32500", undefined, "32500"]);
    expect(() => withHostPorts(objects, [32577])).toThrow(/no host port left for Service queue-manager/);
  });

  it("places one copy at a time: a second canary started together sees the first one's ports claimed", async () => {
    const lab: PlaceableObject[] = [service("queue-manager", "32500"), service("queue-manager-metrics", "32501")];
    const copies = () => [service("queue-manager-metrics", "32501"), service("queue-manager", "32500")];
    const listServices = async () => [...lab];
    const applyLater = async (placed: PlaceableObject[]) => {
      // Applying takes a while; a second placement that listed meanwhile would see these ports free.
      await new Promise((resolve) => setTimeout(resolve, 20));
      lab.push(...placed);
      return placed.map(hostPortOf);
    };
    // The same seed: without the turn both would pick the same first free ports.
    const [first, second] = await Promise.all([placeWithFreeHostPorts(copies(), "e90f", listServices, applyLater), placeWithFreeHostPorts(copies(), "e90f", listServices, applyLater)]);
    const ports = [...first, ...second];
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) expect(AD_HOC).toContain(Number(port));
  });

  it("a failed placement does not block the next one", async () => {
    await expect(placeWithFreeHostPorts([service("s", "32500")], "x", async () => AD_HOC.map((port) => service(`p${port}`, String(port))), async () => "applied")).rejects.toThrow(/all claimed/);
    await expect(placeWithFreeHostPorts([service("s", "32500")], "x", async () => [], async (placed) => hostPortOf(placed[0]!))).resolves.toMatch(/^325[5-9]\d$/);
  });

  it("lists nothing when no copy asks for a host port", async () => {
    let listed = 0;
    const placed = await placeWithFreeHostPorts([service("plain")], "x", async () => (listed++, []), async (objects) => objects);
    expect(listed).toBe(0);
    expect(placed.map(hostPortOf)).toEqual([undefined]);
  });
});
