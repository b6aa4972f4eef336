/**
 * The session weight on a real detached process (its own session, as the supervisor starts a component),
 * read back from the kernel; and the outcomes a kernel without autogroup or a process gone give.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setSessionNice, withLowSessionWeight } from "./session-cpu-weight.ts";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

function detachedSleep(): number {
  const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
  started.push(child);
  return child.pid!;
}

const niceOf = async (pid: number) => /nice (-?\d+)/.exec(await fs.readFile(`/proc/${pid}/autogroup`, "utf8"))?.[1];
const kernelHasAutogroup = await fs.access("/proc/self/autogroup").then(
  () => true,
  () => false,
);

describe("setSessionNice", () => {
  it("weighs a detached process's own session, not the caller's, and puts it back", async () => {
    const pid = detachedSleep();
    const ownBefore = await fs.readFile("/proc/self/autogroup", "utf8").catch(() => undefined);
    if (!kernelHasAutogroup) {
      expect(await setSessionNice(pid, 19)).toBe("no-autogroup");
      return;
    }
    expect(await setSessionNice(pid, 19)).toBe("set");
    expect(await niceOf(pid)).toBe("19");
    expect(await fs.readFile("/proc/self/autogroup", "utf8")).toBe(ownBefore);
    expect(await setSessionNice(pid, 0)).toBe("set");
    expect(await niceOf(pid)).toBe("0");
  });

  it("answers gone for a process that exited, and no-autogroup where the kernel has no such file", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "proc-"));
    await fs.mkdir(path.join(root, "42"));
    expect(await setSessionNice(42, 19, root)).toBe("no-autogroup");
    expect(await setSessionNice(43, 19, root)).toBe("gone");
  });

  it("throws what failed and where for any other error", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "proc-"));
    await fs.mkdir(path.join(root, "42", "autogroup"), { recursive: true });
    await expect(setSessionNice(42, 19, root)).rejects.toThrow(/CPU weight \(autogroup nice 19\) of process 42's session through .*42\/autogroup: EISDIR/);
  });
});

describe("withLowSessionWeight", () => {
  it("holds the sessions at 19 while the work runs and at 0 after, also when it fails; a failed write is logged", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "proc-"));
    for (const pid of [7, 8]) {
      await fs.mkdir(path.join(root, String(pid)));
      await fs.writeFile(path.join(root, String(pid), "autogroup"), "");
    }
    await fs.mkdir(path.join(root, "9", "autogroup"), { recursive: true });
    // The write overwrites in place (never creating or truncating, as /proc needs): "0" over "19" reads "09" here.
    const written = async (pid: number) => (await fs.readFile(path.join(root, String(pid), "autogroup"), "utf8")).slice(0, 1);
    const lines: string[] = [];
    const during = await withLowSessionWeight([7, 8, 9], async () => Promise.all([7, 8].map((pid) => fs.readFile(path.join(root, String(pid), "autogroup"), "utf8"))), (line) => lines.push(line), root);
    expect(during).toEqual(["19", "19"]);
    expect(await written(7)).toBe("0");
    await expect(withLowSessionWeight([8], async () => Promise.reject(new Error("kafka never listened")), () => undefined, root)).rejects.toThrow("kafka never listened");
    expect(await written(8)).toBe("0");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/process 9's session .*\(the lab only starts slower\)/);
  });

  it("puts the weight back as soon as `until` settles, while the work still runs, and writes it once", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "proc-"));
    await fs.mkdir(path.join(root, "7"));
    const file = path.join(root, "7", "autogroup");
    await fs.writeFile(file, "");
    let apiServerReady!: () => void;
    const until = new Promise<void>((resolve) => (apiServerReady = resolve));
    let kafkaListening!: () => void;
    const work = withLowSessionWeight([7], () => new Promise<string>((resolve) => (kafkaListening = () => resolve("listening"))), () => undefined, root, until);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await fs.readFile(file, "utf8")).toBe("19");
    apiServerReady();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await fs.readFile(file, "utf8")).slice(0, 1)).toBe("0");
    // No second write when the work ends: "19" again would show that it lowered the weight anew.
    await fs.writeFile(file, "marker");
    kafkaListening();
    expect(await work).toBe("listening");
    expect(await fs.readFile(file, "utf8")).toBe("marker");
  });
});
