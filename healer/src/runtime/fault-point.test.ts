import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { FaultPoint } from "./config.ts";
import { createFaultPointHook } from "./fault-point.ts";

describe("HEALER_FAULT_POINT test hook", () => {
  it("fires once, only at the configured point", () => {
    const reached: FaultPoint[] = [];
    const hook = createFaultPointHook("after-delete", (point) => reached.push(point));
    hook("after-detect");
    hook("after-create");
    hook("after-delete");
    hook("after-delete");
    expect(reached).toEqual(["after-delete"]);
  });

  it("does nothing when unset", () => {
    const reached: FaultPoint[] = [];
    const hook = createFaultPointHook(undefined, (point) => reached.push(point));
    for (const point of ["after-detect", "after-create", "after-delete"] as const) hook(point);
    expect(reached).toEqual([]);
  });

  it("by default SIGKILLs its own process (no cleanup, no offset commit, no Lease release)", () => {
    const module = path.join(path.dirname(fileURLToPath(import.meta.url)), "fault-point.ts");
    const script = `const { createFaultPointHook } = await import(${JSON.stringify(module)}); createFaultPointHook("after-create")("after-create"); setTimeout(() => process.exit(0), 5000);`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(child.signal).toBe("SIGKILL");
  });
});
