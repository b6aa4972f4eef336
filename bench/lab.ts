/**
 * `make bench-lab`: figures of the sim lab, written to reports/out/bench/lab.json.
 *  - cold build time per component: each component built into a temporary cache with an empty Go build
 *    cache (the Go module cache and ~/.m2 stay warm: downloads depend on the network, not on us);
 *    `--skip-cold` reuses the last cold figures instead (a cold build takes ~10 minutes on 2 cores);
 *  - warm `lab up` until everything is ready (3 runs), `lab down` time, side by side with its peer
 *    (bench/kwokctl-peer.ts: `kwokctl create cluster --runtime binary --wait` on the lab's own binaries),
 *    runs alternating so both see the same machine; the ratio is taken from this one run;
 *  - resident memory of the whole lab (every lab process and its children), idle after up.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { builtComponentDirs, provision, DEFAULT_COMPONENTS } from "../cluster/build/provision.ts";
import { attachSimLab } from "../cluster/sim/lab/sim-lab.ts";
import { startSimLab } from "../cluster/sim/lab/start-sim-lab.ts";
import type { LabMilestone } from "../cluster/provider.ts";
import { stopSimLab } from "../cluster/sim/lab/stop-sim-lab.ts";
import { stateDir, statePaths } from "../cluster/sim/layout.ts";
import { Supervisor } from "../cluster/sim/supervisor.ts";
import { kwokctlPeer } from "./kwokctl-peer.ts";

const OUT = path.join("reports", "out", "bench", "lab.json");
const log = (line: string) => process.stderr.write(`${line}\n`);

async function coldBuilds(): Promise<Record<string, number>> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "chaoslab-cold-"));
  const saved = { cache: process.env.CHAOSLAB_CACHE_DIR, gocache: process.env.GOCACHE };
  process.env.CHAOSLAB_CACHE_DIR = path.join(tmp, "cache");
  process.env.GOCACHE = path.join(tmp, "go-build");
  try {
    const reports = await provision({ only: DEFAULT_COMPONENTS, log });
    return Object.fromEntries(reports.map((report) => [report.name, report.seconds]));
  } finally {
    if (saved.cache === undefined) delete process.env.CHAOSLAB_CACHE_DIR;
    else process.env.CHAOSLAB_CACHE_DIR = saved.cache;
    if (saved.gocache === undefined) delete process.env.GOCACHE;
    else process.env.GOCACHE = saved.gocache;
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

function descendants(pid: number, children: Map<number, number[]>): number[] {
  return [pid, ...(children.get(pid) ?? []).flatMap((child) => descendants(child, children))];
}

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS per component (with all descendants: pod processes belong to the process runtime). */
async function labMemoryMiB(): Promise<{ totalMiB: number; byComponent: Record<string, number> }> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      /* exited */
    }
  }
  const paths = statePaths();
  const supervisor = new Supervisor(paths.pids, paths.logs);
  const byComponent: Record<string, number> = {};
  for (const record of await supervisor.list()) {
    byComponent[record.name] = Math.round(descendants(record.pid, children).reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024);
  }
  return { totalMiB: Object.values(byComponent).reduce((sum, value) => sum + value, 0), byComponent };
}

async function main() {
  const skipCold = process.argv.includes("--skip-cold");
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(await fsp.readFile(OUT, "utf8"));
  } catch {
    /* first run */
  }
  const coldBuildSeconds = skipCold ? (previous.coldBuildSeconds as Record<string, number> | undefined) ?? {} : await coldBuilds();
  await fsp.mkdir(path.dirname(OUT), { recursive: true });
  // Saved at once: a cold build costs ~10 minutes, and a failure in the warm part must not lose it.
  await fsp.writeFile(OUT, `${JSON.stringify({ ...previous, coldBuildSeconds, loadAverageDuringColdBuild: os.loadavg() }, null, 2)}\n`);
  await provision({ log });

  if (await attachSimLab()) {
    log("[bench] stopping the running lab first (warm up is measured from down)");
    await stopSimLab(stateDir(), { log });
  }
  const dirs = await builtComponentDirs(["kube", "kwok"]);
  const peer = await kwokctlPeer({ kube: path.join(dirs.kube!, "kube"), kwok: path.join(dirs.kwok!, "kwok") }, log);
  const peerSeconds: number[] = [];
  let peerError: string | undefined;
  const upSeconds: number[] = [];
  const milestoneSeconds: Record<LabMilestone, number[]> = { apiServer: [], controlPlane: [] };
  const downSeconds: number[] = [];
  let memory = { totalMiB: 0, byComponent: {} as Record<string, number> };
  for (let run = 1; run <= 3; run++) {
    const upStarted = Date.now();
    await startSimLab({ log, milestones: (name, seconds) => milestoneSeconds[name].push(Math.round(seconds * 10) / 10) });
    upSeconds.push((Date.now() - upStarted) / 1000);
    if (run === 1) {
      // Idle memory, after the JVMs and the API server settled.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      memory = await labMemoryMiB();
    }
    const downStarted = Date.now();
    await stopSimLab(stateDir(), { log });
    downSeconds.push((Date.now() - downStarted) / 1000);
    if (peerError) continue;
    try {
      peerSeconds.push(await peer.createOnce());
      log(`[bench] run ${run}: lab up ${upSeconds.at(-1)!.toFixed(1)} s, ${peer.describe.split(" (")[0]} ${peerSeconds.at(-1)!.toFixed(1)} s`);
    } catch (error) {
      // The peer is a reference, not the lab: its failure is reported in the figures, not fatal.
      peerError = (error as Error).message;
      log(`[bench] the kwokctl peer failed: ${peerError}`);
    }
  }
  await peer.close();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratioOfMedians = (lab: number[], peer: number[]) => (lab.length > 0 && peer.length > 0 ? Math.round((median(lab) / median(peer)) * 100) / 100 : undefined);
  const figures = {
    measuredAt: new Date().toISOString(),
    machine: { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    coldBuildSeconds,
    coldBuildTotalSeconds: Math.round(Object.values(coldBuildSeconds).reduce((sum, value) => sum + value, 0) * 10) / 10,
    warmUpSeconds: { runs: upSeconds, median: median(upSeconds), target: 8 },
    // Inside each warm `lab up`: what kwokctl's --wait calls ready (apiServer), and the controller-manager
    // and scheduler healthy too (controlPlane); both while Kafka, Argo and the daemons start beside them.
    apiServerSeconds: { runs: milestoneSeconds.apiServer, median: median(milestoneSeconds.apiServer) },
    controlPlaneSeconds: { runs: milestoneSeconds.controlPlane, median: median(milestoneSeconds.controlPlane) },
    peer: {
      what: peer.describe,
      runs: peerSeconds,
      median: peerSeconds.length > 0 ? median(peerSeconds) : undefined,
      labUpOverPeer: ratioOfMedians(upSeconds, peerSeconds),
      apiServerOverPeer: ratioOfMedians(milestoneSeconds.apiServer, peerSeconds),
      controlPlaneOverPeer: ratioOfMedians(milestoneSeconds.controlPlane, peerSeconds),
      error: peerError,
    },
    downSeconds: { runs: downSeconds, median: median(downSeconds) },
    residentMemoryMiB: memory,
  };
  await fsp.mkdir(path.dirname(OUT), { recursive: true });
  await fsp.writeFile(OUT, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

await main();
