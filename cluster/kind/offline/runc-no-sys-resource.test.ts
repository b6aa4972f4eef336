import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const WRAPPER = path.join(import.meta.dirname, "runc-no-sys-resource");
const CAPS = ["CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_SYS_ADMIN"];

// The shim edits JSON with jq (installed by docker-host.sh with Docker). Without jq the shim cannot work
// at all, so these tests fail rather than skip.
describe("runc-no-sys-resource (OCI runtime shim for hosts whose bounding set lacks CAP_SYS_RESOURCE)", () => {
  let dir: string;
  let fakeRunc: string;
  let argsFile: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "runc-shim-"));
    fakeRunc = path.join(dir, "runc");
    argsFile = path.join(dir, "args");
    // Records its arguments and the bundle's config as runc would read it.
    await fs.writeFile(fakeRunc, `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\n`, { mode: 0o755 });
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const run = (args: string[], cwd = dir) => execFileSync(WRAPPER, args, { cwd, env: { ...process.env, REAL_RUNC: fakeRunc } });

  async function bundle(name: string) {
    const bundleDir = path.join(dir, name);
    await fs.mkdir(bundleDir, { recursive: true });
    const config = {
      ociVersion: "1.0.2",
      process: { args: ["/sbin/init"], capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS, inheritable: [], ambient: ["CAP_SYS_RESOURCE"] } },
      root: { path: "rootfs" },
    };
    await fs.writeFile(path.join(bundleDir, "config.json"), JSON.stringify(config));
    return bundleDir;
  }

  const readJson = async (file: string) => JSON.parse(await fs.readFile(file, "utf8"));

  it("removes CAP_SYS_RESOURCE from every set of the bundle's process on create, keeps the rest, passes the arguments on", async () => {
    const bundleDir = await bundle("create");
    const args = ["--root", "/run/docker/runtime-runc/moby", "--log", "/x/log.json", "--log-format", "json", "create", "--bundle", bundleDir, "--pid-file", "/x/pid", "abc"];
    run(args);
    const config = await readJson(path.join(bundleDir, "config.json"));
    for (const set of ["bounding", "effective", "permitted"]) expect(config.process.capabilities[set]).toEqual(["CAP_CHOWN", "CAP_SYS_ADMIN"]);
    expect(config.process.capabilities.ambient).toEqual([]);
    expect(config.process.args).toEqual(["/sbin/init"]);
    expect(config.root).toEqual({ path: "rootfs" });
    expect((await fs.readFile(argsFile, "utf8")).trim().split("\n")).toEqual(args);
  });

  it("reads --bundle=PATH and -b PATH, and the current directory when run has no bundle flag", async () => {
    const equals = await bundle("equals");
    run(["create", `--bundle=${equals}`, "id1"]);
    expect((await readJson(path.join(equals, "config.json"))).process.capabilities.bounding).not.toContain("CAP_SYS_RESOURCE");
    const short = await bundle("short");
    run(["run", "-b", short, "id2"]);
    expect((await readJson(path.join(short, "config.json"))).process.capabilities.bounding).not.toContain("CAP_SYS_RESOURCE");
    const cwd = await bundle("cwd");
    run(["run", "id3"], cwd);
    expect((await readJson(path.join(cwd, "config.json"))).process.capabilities.bounding).not.toContain("CAP_SYS_RESOURCE");
  });

  it("edits an exec --process file (docker exec --privileged)", async () => {
    const processFile = path.join(dir, "process.json");
    await fs.writeFile(processFile, JSON.stringify({ args: ["sh"], capabilities: { bounding: CAPS, effective: CAPS } }));
    run(["--root", "/r", "exec", "--process", processFile, "--detach", "abc"]);
    const edited = await readJson(processFile);
    expect(edited.capabilities).toEqual({ bounding: ["CAP_CHOWN", "CAP_SYS_ADMIN"], effective: ["CAP_CHOWN", "CAP_SYS_ADMIN"] });
    expect(edited.args).toEqual(["sh"]);
  });

  it("leaves the bundle alone for other commands (state, delete, kill)", async () => {
    const bundleDir = await bundle("state");
    const before = await fs.readFile(path.join(bundleDir, "config.json"), "utf8");
    run(["state", "abc"], bundleDir);
    run(["delete", "--force", "abc"], bundleDir);
    expect(await fs.readFile(path.join(bundleDir, "config.json"), "utf8")).toBe(before);
  });

  it("does not take a global option's value for the command (--root create)", async () => {
    const bundleDir = await bundle("root-named-create");
    const before = await fs.readFile(path.join(bundleDir, "config.json"), "utf8");
    run(["--root", "create", "state", "abc"], bundleDir);
    expect(await fs.readFile(path.join(bundleDir, "config.json"), "utf8")).toBe(before);
  });
});
