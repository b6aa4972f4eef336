import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");

interface LogLine {
  msg: string;
  port?: number;
  [key: string]: unknown;
}

/** Runs the image's entry point the way the sim's process runtime does: `node --import tsx <entry>`. */
function run(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; lines: LogLine[]; waitFor(msg: string): Promise<LogLine>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", LISTEN_HOST: "127.0.0.1", PORT: "0", ...env },
  });
  const lines: LogLine[] = [];
  const waiters: { msg: string; resolve: (line: LogLine) => void }[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
      const line = JSON.parse(buffered.slice(0, newline)) as LogLine;
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.msg === line.msg)) waiter.resolve(line);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exit,
    waitFor: (msg) =>
      new Promise<LogLine>((resolve, reject) => {
        const seen = lines.find((line) => line.msg === msg);
        if (seen) return resolve(seen);
        waiters.push({ msg, resolve });
        exit.then((code) => reject(new Error(`exited with ${code} before logging "${msg}"; logs: ${JSON.stringify(lines)}`)));
      }),
  };
}

describe("main.ts (the image's entry point)", () => {
  it("serves on LISTEN_HOST with the pod template's version and exits 0 on SIGTERM", async () => {
    const process_ = run({ IMAGE_TAG: "v2-bad", POD_NAME: "qm-6f4d8b7c9-x2x9k" });
    const listening = await process_.waitFor("queue-manager listening");
    expect(listening).toMatchObject({ host: "127.0.0.1", version: "v2-bad", errorRate: 0.5 });
    const stats = await (await fetch(`http://127.0.0.1:${listening.port}/stats`)).json();
    expect(stats).toMatchObject({ version: "v2-bad", pod: "qm-6f4d8b7c9-x2x9k" });
    process_.child.kill("SIGTERM");
    expect(await process_.exit).toBe(0);
    expect(process_.lines.map((line) => line.msg)).toContain("stopped");
  });

  it("refuses an invalid ERROR_RATE with exit code 1 and says which variable is wrong", async () => {
    const process_ = run({ ERROR_RATE: "lots" });
    expect(await process_.exit).toBe(1);
    expect(JSON.stringify(process_.lines)).toContain("env ERROR_RATE: expected a number in [0, 1]");
  });

  it("refuses an unknown QUEUE_MANAGER_ROLE", async () => {
    const process_ = run({ QUEUE_MANAGER_ROLE: "scheduler" });
    expect(await process_.exit).toBe(1);
    expect(JSON.stringify(process_.lines)).toContain("env QUEUE_MANAGER_ROLE");
  });
});
