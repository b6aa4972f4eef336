/**
 * A session's share of the CPU while the lab starts. The supervisor runs every component detached, in a
 * session of its own, and on kernels with autogroup scheduling (CONFIG_SCHED_AUTOGROUP, on in Debian's
 * and Ubuntu's kernels) the scheduler first shares the CPU between sessions, then between the processes
 * of each. So `nice` on a Kafka JVM weighs nothing against the API server in another session: what
 * weighs a session is its autogroup's nice value, `/proc/<pid>/autogroup` (sched(7)).
 *
 * Why it matters: on 2 cores, three Kafka JVMs warming up took the CPU from etcd, the API server, the
 * controller-manager and the scheduler — the control plane came up in 4.8-6.4 s beside them, 2.8-3.7 s
 * without them. With the JVMs' sessions at nice 19 until Kafka listens, the API server answered in
 * 3.2-3.4 s instead of 4.5-5.1 s, and the JVMs still use every cycle the control plane leaves.
 *
 * Any user may lower a session's weight and put it back to 0 (only a negative nice needs privilege);
 * the kernel takes one such write per 100 ms from an unprivileged process and answers EAGAIN to the
 * rest, so writes are retried a few times. A kernel without autogroup has no such file: nothing to do.
 */
import fs from "node:fs/promises";

export type WeightOutcome = "set" | "no-autogroup" | "gone";

const RETRIES = 8;
const RETRY_MS = 110;

/** Sets the autogroup nice (-20..19) of `pid`'s session. Errors other than "not supported"/"gone" throw. */
export async function setSessionNice(pid: number, nice: number, procRoot = "/proc"): Promise<WeightOutcome> {
  const file = `${procRoot}/${pid}/autogroup`;
  for (let attempt = 0; ; attempt++) {
    try {
      // r+: never create the file (a kernel without autogroup has none).
      await fs.writeFile(file, String(nice), { flag: "r+" });
      return "set";
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ESRCH") return "gone";
      if (code === "ENOENT") return (await exists(`${procRoot}/${pid}`)) ? "no-autogroup" : "gone";
      if (code === "EAGAIN" && attempt < RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      throw new Error(`could not set the CPU weight (autogroup nice ${nice}) of process ${pid}'s session through ${file}: ${(error as Error).message}`);
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Lowers the sessions of `pids` to nice 19 while `work` runs, then puts them back to 0 (also when `work`
 * fails), or sooner when `until` settles: what the low weight made way for is done, and the rest of the
 * work should get its fair share. A failure to change the weight only costs speed: it is logged, never thrown.
 */
export async function withLowSessionWeight<T>(
  pids: number[],
  work: () => Promise<T>,
  log: (line: string) => void,
  procRoot = "/proc",
  until?: Promise<unknown>,
): Promise<T> {
  const change = async (nice: number) => {
    for (const pid of pids) {
      try {
        await setSessionNice(pid, nice, procRoot);
      } catch (error) {
        log(`[lab] ${(error as Error).message} (the lab only starts slower)`);
      }
    }
  };
  await change(19);
  let restored: Promise<void> | undefined;
  const restore = () => (restored ??= change(0));
  void until?.then(restore, restore);
  try {
    return await work();
  } finally {
    await restore();
  }
}
