/**
 * Runs the lab's components as detached local processes that outlive the `lab up` command, each in
 * its own process group (so `down` can stop it with everything it started), with a pid file that
 * `status`, `down` and fault handles read back.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ProcessSpec {
  /** Component name, e.g. `kube-apiserver`, `kafka-2`. Names the pid file and the log. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface PidRecord {
  name: string;
  pid: number;
  command: string;
  args: string[];
  startedAt: string;
  log: string;
}

export class Supervisor {
  constructor(
    private readonly pidDir: string,
    private readonly logDir: string,
  ) {}

  pidFile(name: string): string {
    return path.join(this.pidDir, `${name}.json`);
  }

  logFile(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  async start(spec: ProcessSpec): Promise<PidRecord> {
    await fsp.mkdir(this.pidDir, { recursive: true });
    await fsp.mkdir(this.logDir, { recursive: true });
    const log = this.logFile(spec.name);
    const out = fs.openSync(log, "a");
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", (error) => reject(new Error(`cannot start ${spec.name} (${spec.command}): ${error.message}`)));
      child.once("spawn", () => resolve(child.pid!));
    });
    child.unref();
    const record: PidRecord = { name: spec.name, pid, command: spec.command, args: spec.args, startedAt: new Date().toISOString(), log };
    await fsp.writeFile(this.pidFile(spec.name), JSON.stringify(record, null, 2));
    return record;
  }

  async read(name: string): Promise<PidRecord | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.pidFile(name), "utf8")) as PidRecord;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<PidRecord[]> {
    let files: string[];
    try {
      files = await fsp.readdir(this.pidDir);
    } catch {
      return [];
    }
    const records = await Promise.all(files.filter((file) => file.endsWith(".json")).map((file) => this.read(file.slice(0, -5))));
    return records.filter((record): record is PidRecord => record !== undefined);
  }

  async isRunning(name: string): Promise<boolean> {
    const record = await this.read(name);
    return record !== undefined && isAlive(record.pid);
  }

  /**
   * Stops the component's whole process group: SIGTERM (or SIGKILL for a crash), then SIGKILL for
   * whatever is left after `graceMs`. Resolves once the leader process is gone.
   */
  async stop(name: string, options: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
    const record = await this.read(name);
    if (!record) return;
    await killGroup(record.pid, options.signal ?? "SIGTERM", options.graceMs ?? 10_000);
    await fsp.rm(this.pidFile(name), { force: true });
  }

  /** Output of a component's log, the last `lines` lines (for error messages). */
  async tail(name: string, lines = 20): Promise<string> {
    try {
      const text = await fsp.readFile(this.logFile(name), "utf8");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it is not running.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Signals a process group (every pod/component runs in its own), or the lone process if it has none. */
export function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return isAlive(pid);
  }
}

export async function killGroup(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  signalGroup(pid, signal);
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pid)) {
    signalGroup(pid, "SIGKILL");
    const hardDeadline = Date.now() + 5_000;
    while (groupAlive(pid) && Date.now() < hardDeadline) await sleep(50);
  }
}

/**
 * Polls `check` until it returns true, the process named `name` dies, or `timeoutMs` passes; errors
 * name the component and show the end of its log.
 */
export async function waitUntil(
  supervisor: Supervisor,
  name: string,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 150,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (!(await supervisor.isRunning(name))) {
      throw new Error(`${name} exited while waiting for it to be ${what}. Last log lines (${supervisor.logFile(name)}):\n${await supervisor.tail(name)}`);
    }
    await sleep(intervalMs);
  }
  throw new Error(`${name} was not ${what} within ${timeoutMs / 1000} s. Last log lines (${supervisor.logFile(name)}):\n${await supervisor.tail(name)}`);
}
