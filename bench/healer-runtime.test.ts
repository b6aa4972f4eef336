import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HEALER_ENV, HEALER_NODE_FLAGS } from "./healer-runtime.ts";

const dockerfile = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "healer", "Dockerfile"), "utf8");

describe("the bench runs the healer as its image does", () => {
  it("the image's ENTRYPOINT has the bench's node flags", () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(entrypoint[0]).toBe("node");
    for (const flag of HEALER_NODE_FLAGS) expect(entrypoint).toContain(flag);
  });

  it("the image's ENV has the bench's environment", () => {
    const env = [...dockerfile.matchAll(/^ENV (\w+)=(\S+)$/gm)].map((match) => [match[1], match[2]]);
    for (const [name, value] of Object.entries(HEALER_ENV)) expect(env).toContainEqual([name, value]);
  });
});
