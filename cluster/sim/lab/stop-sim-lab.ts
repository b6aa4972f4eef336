/**
 * `lab down` for the sim: stops every lab process (also those of a half-started or crashed lab) in
 * reverse start order, the process runtime first so it stops its pods, then any pod process left behind.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { allLabPorts, stateDir, statePaths } from "../layout.ts";
import { isAlive, killGroup, Supervisor } from "../supervisor.ts";
import { loopbackPortsInUse } from "../../network/tcp-probe.ts";
import { SIM_COMPONENTS } from "./components.ts";
import { elapsed } from "./http-probes.ts";

/**
 * Stops every lab process (also those of a half-started or crashed lab) and every pod process the
 * runtime started, then removes the state dir unless keepData.
 */
export async function stopSimLab(root = stateDir(), options: { keepData?: boolean; log?: (line: string) => void } = {}): Promise<{ leftoverPorts: number[] }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = statePaths(root);
  const supervisor = new Supervisor(paths.pids, paths.logs);
  const started = Date.now();
  const records = await supervisor.list();
  const order = [...SIM_COMPONENTS].reverse() as string[];
  records.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  // The runtime first: on SIGTERM it stops the pods' processes (grace periods apply).
  for (const record of records.filter((candidate) => candidate.name === "process-runtime")) {
    await supervisor.stop(record.name, { graceMs: 15_000 });
  }
  // Data is disposable unless kept: then Kafka and etcd get a clean shutdown.
  const graceMs = options.keepData ? 20_000 : 3_000;
  await Promise.all(records.filter((record) => record.name !== "process-runtime").map((record) => supervisor.stop(record.name, { graceMs })));
  await killLeftoverPodProcesses(paths.pods);
  const leftoverPorts = await loopbackPortsInUse(allLabPorts());
  if (!options.keepData) await fs.rm(root, { recursive: true, force: true });
  log(`[lab] the sim lab is down (${elapsed(started)})${options.keepData ? `; data kept in ${root}` : ""}`);
  if (leftoverPorts.length > 0) log(`[lab] warning: ports still in use after down: ${leftoverPorts.join(", ")}`);
  return { leftoverPorts };
}

/** Safety net: pod processes whose runtime died are still recorded under <state>/pods. */
async function killLeftoverPodProcesses(podsDir: string) {
  let entries: string[];
  try {
    entries = await fs.readdir(podsDir);
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (entry) => {
      try {
        const pid = Number((await fs.readFile(path.join(podsDir, entry, "pid"), "utf8")).trim());
        if (pid > 0 && isAlive(pid)) await killGroup(pid, "SIGKILL", 2_000);
      } catch {
        /* no pid file: never started */
      }
    }),
  );
}
