import fs from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderSchemaFile, SCHEMA_FILE } from "./generate-schema.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { TIMING_KEYS } from "../expectations/probe-expectation.ts";

describe("scenarios/schema.json", () => {
  it("is what generate-schema.ts writes (regenerate: npx tsx harness/scenario/generate-schema.ts)", async () => {
    const committed = await fs.readFile(SCHEMA_FILE, "utf8").catch(() => "(missing)");
    expect(committed === renderSchemaFile(), "scenarios/schema.json is stale: run `npx tsx harness/scenario/generate-schema.ts`").toBe(true);
  });

  it("lists every fault type, probe, expectation and setup action of the catalog", () => {
    const text = renderSchemaFile();
    for (const name of [
      ...DEFAULT_CATALOG.faults.map((item) => item.type),
      ...DEFAULT_CATALOG.probes.map((item) => item.kind),
      ...DEFAULT_CATALOG.expectations.map((item) => item.kind),
      ...DEFAULT_CATALOG.setup.map((item) => item.kind),
    ]) {
      expect(text).toContain(JSON.stringify(name));
    }
  });
});

describe("the catalog", () => {
  it("has unique names per kind of module", () => {
    for (const names of [
      DEFAULT_CATALOG.faults.map((item) => item.type),
      DEFAULT_CATALOG.probes.map((item) => item.kind),
      DEFAULT_CATALOG.expectations.map((item) => item.kind),
      DEFAULT_CATALOG.setup.map((item) => item.kind),
    ]) {
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it("has no probe parameter that collides with a timing field (they share one mapping as expectations)", () => {
    for (const probe of DEFAULT_CATALOG.probes) {
      expect(Object.keys(probe.params.shape).filter((key) => (TIMING_KEYS as string[]).includes(key)), probe.kind).toEqual([]);
    }
  });
});
