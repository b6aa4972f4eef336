/**
 * The sim's control plane during `lab up`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
 * and kwok spawned at once (as kwokctl does: the API server dials etcd until it answers and initialises
 * while etcd elects itself; the controller-manager and scheduler wait for the API server), then awaited
 * in two steps, API server ready, then the whole control plane healthy, each with the moment it
 * happened (the `lab up` milestones that `make bench-lab` sets beside kwokctl's whole cluster).
 */
import { LOOPBACK, PORTS } from "../layout.ts";
import { waitUntil, type Supervisor } from "../supervisor.ts";
import { apiServerSpec, controllerManagerSpec, etcdSpec, kwokSpec, schedulerSpec, type ControlPlaneInputs } from "../control-plane.ts";
import { httpOk, httpsGet } from "./http-probes.ts";
import { watchFirstHealthy, type FirstHealthy } from "./first-healthy.ts";

interface WatchedComponent {
  name: string;
  check: () => Promise<boolean>;
  firstHealthy: FirstHealthy;
}

export class ControlPlaneStart {
  private readonly stopWatches = new AbortController();
  private readonly restarted = new Set<string>();
  private watched: WatchedComponent[] = [];
  private apiServerReadyAt?: number;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly inputs: ControlPlaneInputs,
  ) {}

  private get kubeComponents() {
    return [controllerManagerSpec(this.inputs), schedulerSpec(this.inputs), kwokSpec(this.inputs)];
  }

  /** Spawns every process. Everything on the lab waits for the API server, so call this before anything else that takes CPU. */
  async spawn(): Promise<void> {
    await this.supervisor.start(etcdSpec(this.inputs));
    await this.supervisor.start(apiServerSpec(this.inputs));
    for (const spec of this.kubeComponents) await this.supervisor.start(spec);
    this.watched = [
      { name: "kube-controller-manager", healthz: `https://${LOOPBACK}:${PORTS.controllerManager}/healthz` },
      { name: "kube-scheduler", healthz: `https://${LOOPBACK}:${PORTS.scheduler}/healthz` },
    ].map(({ name, healthz }) => {
      const check = async () => (await httpsGet(healthz)).status === 200;
      // Watched from now: both answer before the API server is ready (first-healthy.ts says why it matters).
      return { name, check, firstHealthy: watchFirstHealthy(check, this.stopWatches.signal) };
    });
  }

  /** etcd healthy, then the API server's /readyz; resolves with the epoch ms it answered. */
  async apiServerReady(log: (line: string) => void, elapsed: () => string): Promise<number> {
    await waitUntil(this.supervisor, "etcd", "healthy", () => httpOk(`http://${LOOPBACK}:${PORTS.etcdClient}/health`), 30_000);
    log(`[lab] etcd ready (${elapsed()})`);
    const pki = this.inputs.pki;
    // Asked every 50 ms: the whole lab waits for this answer (a check is one TLS request, a few ms of CPU).
    await waitUntil(this.supervisor, "kube-apiserver", "ready", async () => (await httpsGet(`https://${LOOPBACK}:${PORTS.apiServer}/readyz`, pki)).status === 200, 60_000, 50);
    this.apiServerReadyAt = Date.now();
    // The controller-manager gives up after waiting 10 s for the API server; on a busy machine it may have.
    for (const spec of this.kubeComponents) {
      if (!(await this.supervisor.isRunning(spec.name))) {
        await this.supervisor.start(spec);
        this.restarted.add(spec.name);
      }
    }
    return this.apiServerReadyAt;
  }

  /** The controller-manager and scheduler healthy too; resolves with the epoch ms the last of the control plane was. */
  async healthy(): Promise<number> {
    const healthyAt = await Promise.all(
      this.watched.map(async ({ name, check, firstHealthy }) => {
        // Asked again here: healthy now, and still running.
        await waitUntil(this.supervisor, name, "healthy", check, 60_000);
        // A restarted process's earlier answer does not count.
        return (!this.restarted.has(name) && firstHealthy.at()) || Date.now();
      }),
    );
    this.stopWatching();
    return Math.max(this.apiServerReadyAt ?? Date.now(), ...healthyAt);
  }

  /** Ends the background health polls (also when `lab up` fails). */
  stopWatching(): void {
    this.stopWatches.abort();
  }
}
