/**
 * The peer of `lab up` in `make bench-lab`: `kwokctl create cluster --runtime binary --wait`, given the
 * lab's own control-plane binaries (the sim's multi-call `kube` build for etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler; the sim's `kwok`), so the two differ only in what they
 * start and how. kwokctl itself is built from the Go module proxy (sigs.k8s.io/kwok/cmd/kwokctl, the
 * sim's kwok version) into the lab's cache, once; only this benchmark uses it.
 *
 * The sim's `kube` binary dispatches on its first argument (`kube apiserver …`); kwokctl runs one binary
 * per component, so each gets a two-line wrapper script.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { $ } from "zx";
import { cacheDir } from "../cluster/build/cache-dir.ts";
import { goInstall } from "../cluster/build/components.ts";
import versions from "../cluster/versions.json" with { type: "json" };

export const KWOKCTL_VERSION = versions.kwok;
const CLUSTER_NAME = "chaoslab-bench-peer";

export interface PeerBinaries {
  /** The sim's multi-call kube binary (kube apiserver|controller-manager|scheduler|etcd). */
  kube: string;
  kwok: string;
}

export interface KwokctlPeer {
  /** One `kwokctl create cluster --wait` (seconds until it returned Ready), then the cluster deleted. */
  createOnce(): Promise<number>;
  describe: string;
  close(): Promise<void>;
}

async function buildKwokctl(log: (line: string) => void): Promise<string> {
  const dir = path.join(cacheDir(), `kwokctl-${KWOKCTL_VERSION}`);
  const binary = path.join(dir, "kwokctl");
  if (await fs.stat(binary).then(() => true, () => false)) return binary;
  log(`[bench] building kwokctl ${KWOKCTL_VERSION} from the Go module proxy (once) …`);
  await fs.mkdir(dir, { recursive: true });
  await goInstall(dir, "sigs.k8s.io/kwok/cmd/kwokctl", KWOKCTL_VERSION);
  return binary;
}

async function wrapper(dir: string, name: string, kube: string, component: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\nexec ${JSON.stringify(kube)} ${component} "$@"\n`, { mode: 0o755 });
  return file;
}

export async function kwokctlPeer(binaries: PeerBinaries, log: (line: string) => void): Promise<KwokctlPeer> {
  const kwokctl = await buildKwokctl(log);
  const workdir = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-kwokctl-"));
  const bin = path.join(workdir, "bin");
  await fs.mkdir(bin);
  const args = [
    "--name", CLUSTER_NAME,
    "--runtime", "binary",
    "--etcd-binary", await wrapper(bin, "etcd", binaries.kube, "etcd"),
    "--kube-apiserver-binary", await wrapper(bin, "kube-apiserver", binaries.kube, "apiserver"),
    "--kube-controller-manager-binary", await wrapper(bin, "kube-controller-manager", binaries.kube, "controller-manager"),
    "--kube-scheduler-binary", await wrapper(bin, "kube-scheduler", binaries.kube, "scheduler"),
    "--kwok-controller-binary", binaries.kwok,
    "--wait", "60s",
  ];
  // kwokctl keeps its clusters under KWOK_WORKDIR: a private one, removed at the end.
  const env = { ...process.env, KWOK_WORKDIR: path.join(workdir, "kwok") };
  const kwokctlRun = (argv: string[]) => $({ quiet: true, nothrow: true, env })`${kwokctl} ${argv}`;
  const deleteCluster = () => kwokctlRun(["delete", "cluster", "--name", CLUSTER_NAME]);
  await deleteCluster();
  return {
    describe: `kwokctl ${KWOKCTL_VERSION} create cluster --runtime binary --wait (the lab's etcd, kube-apiserver, controller-manager, scheduler and kwok binaries)`,
    async createOnce() {
      const started = performance.now();
      const created = await kwokctlRun(["create", "cluster", ...args]);
      const seconds = (performance.now() - started) / 1000;
      await deleteCluster();
      if (created.exitCode !== 0) throw new Error(`kwokctl create cluster failed (exit ${created.exitCode}): ${`${created.stdout}\n${created.stderr}`.trim().split("\n").slice(-8).join(" | ")}`);
      return seconds;
    },
    async close() {
      await deleteCluster();
      await fs.rm(workdir, { recursive: true, force: true });
    },
  };
}
