import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LabDescription } from "../provider.ts";
import { attachRunningLab, labDescriptionCandidates, LabNotFoundError, loadProvider, readLabDescription } from "./registry.ts";

function description(provider: LabDescription["provider"], stateDir: string, startedAt: string): LabDescription {
  return {
    provider,
    stateDir,
    kubeconfig: path.join(stateDir, "kubeconfig"),
    apiServer: "https://127.0.0.1:1",
    kafka: { bootstrapDirect: ["127.0.0.1:1"], bootstrapWorkloads: ["127.0.0.1:2"], nodeIds: [1] },
    namespaces: ["streamforge"],
    features: { argoRollouts: true },
    versions: {},
    startedAt,
  };
}

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "registry-"));
}

describe("reading a lab description", () => {
  it("says how to start the lab when there is no description", async () => {
    await expect(readLabDescription("/nonexistent/lab.json")).rejects.toThrow(LabNotFoundError);
    await expect(readLabDescription("/nonexistent/lab.json")).rejects.toThrow("start the lab with `chaoslab lab up`");
  });

  it("reads a valid description and names the field of an invalid one", async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, "lab.json"), JSON.stringify(description("kind", dir, "2026-01-01T00:00:00.000Z")));
    expect((await readLabDescription(path.join(dir, "lab.json"))).provider).toBe("kind");
    await fs.writeFile(path.join(dir, "bad.json"), JSON.stringify({ ...description("kind", dir, "x"), provider: "docker" }));
    await expect(readLabDescription(path.join(dir, "bad.json"))).rejects.toThrow(/bad\.json is not a lab description: provider:/);
  });
});

describe("finding the running lab, whatever its provider", () => {
  it("looks at CHAOSLAB_LAB, then the given state dir, then CLUSTER's provider", async () => {
    expect(await labDescriptionCandidates({ env: { CHAOSLAB_LAB: "/x/lab.json", CLUSTER: "kind" }, stateDir: "/y" })).toEqual(["/x/lab.json"]);
    expect(await labDescriptionCandidates({ env: {}, stateDir: "/y" })).toEqual(["/y/lab.json"]);
    expect(await labDescriptionCandidates({ env: { CLUSTER: "existing", CHAOSLAB_STATE_DIR: "/z" } })).toEqual(["/z/lab.json"]);
    await expect(labDescriptionCandidates({ env: { CLUSTER: "docker" } })).rejects.toThrow("CLUSTER=docker is not a cluster provider");
  });

  it("attaches through the provider the description names, and says when that lab is down", async () => {
    const dir = await tempDir();
    // A kind lab described but not running (no kind cluster here): the kind provider is asked, and says no.
    await fs.writeFile(path.join(dir, "lab.json"), JSON.stringify(description("kind", dir, "2026-01-01T00:00:00.000Z")));
    await expect(attachRunningLab({ stateDir: dir })).rejects.toThrow(
      `the kind lab described in ${path.join(dir, "lab.json")} is not running: start it with \`make lab-up\` (CLUSTER=kind)`,
    );
  });

  it("every provider module loads through the registry with its own name", async () => {
    for (const name of ["kind", "sim", "existing"] as const) expect((await loadProvider(name)).name).toBe(name);
  });
});
