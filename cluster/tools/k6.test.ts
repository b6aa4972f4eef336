import { describe, expect, it } from "vitest";
import versions from "../versions.json" with { type: "json" };
import { MissingToolchainError } from "../build/provision.ts";
import { provideK6, type K6Sources } from "./k6.ts";

function sources(overrides: Partial<K6Sources>): K6Sources & { built: number } {
  const state = {
    built: 0,
    cached: async () => undefined,
    onPath: async () => undefined,
    build: async () => {
      state.built += 1;
      return "/cache/k6-built/k6";
    },
    ...overrides,
  };
  return state;
}

describe("provideK6", () => {
  it("prefers the cached build, then k6 on PATH, and builds only when neither exists", async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    expect(await provideK6({ log, sources: sources({ cached: async () => "/cache/k6/k6", onPath: async () => ({ binary: "k6", version: versions.k6 }) }) })).toBe("/cache/k6/k6");
    expect(await provideK6({ log, sources: sources({ onPath: async () => ({ binary: "k6", version: versions.k6 }) }) })).toBe("k6");
    expect(lines).toEqual([]);
    const building = sources({});
    expect(await provideK6({ log, sources: building })).toBe("/cache/k6-built/k6");
    expect(building.built).toBe(1);
    expect(lines.join("\n")).toMatch(/building it from the Go module proxy/);
  });

  it("warns when k6 on PATH is another version than the pinned one", async () => {
    const lines: string[] = [];
    await provideK6({ log: (line) => lines.push(line), sources: sources({ onPath: async () => ({ binary: "k6", version: "v0.50.0" }) }) });
    expect(lines).toEqual([`warning: k6 v0.50.0 found on PATH; the lab is pinned to ${versions.k6} (cluster/versions.json)`]);
  });

  it("without Go says how to get k6 instead of failing on the build", async () => {
    const noGo = sources({
      build: async () => {
        throw new MissingToolchainError("- go: not found");
      },
    });
    await expect(provideK6({ log: () => undefined, sources: noGo })).rejects.toThrow(/install k6 \(Grafana's package `k6`.*or install Go/s);
  });
});
