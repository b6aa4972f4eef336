/**
 * Which cluster provider `make chaos` uses: `CLUSTER=kind|sim|existing` forces one; otherwise `kind` when a
 * Docker engine answers and kind's images are built offline or can be pulled, else `sim` — and it always
 * says which it picked and why.
 *
 * The Docker probe asks testcontainers first (it knows DOCKER_HOST, ~/.testcontainers.properties, rootless
 * and Docker Desktop sockets, and reports the engine's CPUs and memory), then the docker CLI (whose
 * `docker context` setups testcontainers does not read). Loading the picked provider is registry.ts's.
 */
import { PROVIDER_NAMES, type ProviderName } from "../provider.ts";
import { probeTcp } from "../network/tcp-probe.ts";
import { type KindImageMode, OFFLINE_SETUP_COMMAND, kindImageMode } from "../kind/offline/mode.ts";
import { isProviderName } from "./registry.ts";
import { type CommandRunner, zxCommandRunner } from "../kind/command-runner.ts";

export interface DockerProbeResult {
  reachable: boolean;
  /** Where and what answered, or why nothing did. */
  detail: string;
  memoryBytes?: number;
}

export type DockerProbe = () => Promise<DockerProbeResult>;

export interface ProviderPick {
  name: ProviderName;
  forced: boolean;
  /** One line for humans: "kind (a Docker engine answered: …)". */
  reason: string;
  warnings: string[];
}

/** What three Kafka brokers, Strimzi, Argo Rollouts and the workloads need from Docker, roughly. */
const KIND_MIN_DOCKER_MEMORY_BYTES = 6 * 1024 ** 3;

/** Whether the registry kind's node image is pulled from answers (one bounded TCP connect). */
export type RegistryProbe = () => Promise<{ reachable: boolean; detail: string }>;

export interface PickOptions {
  /** Air-gapped or upstream kind images (cluster/kind/offline/mode.ts). */
  kindImages?: () => KindImageMode;
  registryProbe?: RegistryProbe;
}

/**
 * Unforced, with Docker answering: kind on the air-gapped images when they are built; else kind on
 * upstream's images when their registry answers; else the sim, since `kind create` would fail on the
 * first pull. Always one line saying which and why.
 */
export async function pickProvider(env: Readonly<Record<string, string | undefined>>, dockerProbe: DockerProbe, options: PickOptions = {}): Promise<ProviderPick> {
  const forced = env.CLUSTER?.trim();
  if (forced) {
    if (!isProviderName(forced)) {
      throw new Error(
        `CLUSTER=${forced} is not a cluster provider. What to do: use one of ${PROVIDER_NAMES.join(", ")}, ` +
          "or unset CLUSTER to get kind when a Docker engine answers and sim otherwise.",
      );
    }
    return { name: forced, forced: true, reason: `forced by CLUSTER=${forced}`, warnings: [] };
  }
  let probe: DockerProbeResult;
  try {
    probe = await dockerProbe();
  } catch (error) {
    probe = { reachable: false, detail: (error as Error).message };
  }
  if (!probe.reachable) {
    return { name: "sim", forced: false, reason: `no Docker engine answered (${probe.detail}); CLUSTER=kind forces kind`, warnings: [] };
  }
  const warnings: string[] = [];
  if (probe.memoryBytes !== undefined && probe.memoryBytes < KIND_MIN_DOCKER_MEMORY_BYTES) {
    warnings.push(
      `the Docker engine has ${formatGiB(probe.memoryBytes)} of memory; the kind lab wants at least ${formatGiB(KIND_MIN_DOCKER_MEMORY_BYTES)} ` +
        "(3 Kafka brokers of ~1 GiB each plus operators and workloads). Raise it, or use CLUSTER=sim.",
    );
  }
  const images = (options.kindImages ?? (() => kindImageMode(env)))();
  if (images.kind === "offline") {
    return { name: "kind", forced: false, reason: `a Docker engine answered (${probe.detail}) and the air-gapped kind images are built; CLUSTER=sim forces the embedded lab`, warnings };
  }
  const registry = await (options.registryProbe ?? registryProbe)().catch((error: unknown) => ({ reachable: false, detail: (error as Error).message }));
  if (!registry.reachable) {
    return {
      name: "sim",
      forced: false,
      reason:
        `a Docker engine answered, but kind's images can be neither pulled (${registry.detail}) nor found built offline (${images.why}); ` +
        `${OFFLINE_SETUP_COMMAND} builds them from package registries; CLUSTER=kind forces kind`,
      warnings: [],
    };
  }
  return { name: "kind", forced: false, reason: `a Docker engine answered (${probe.detail}) and ${registry.detail}; CLUSTER=sim forces the embedded lab`, warnings };
}

const REGISTRY = { host: "registry-1.docker.io", port: 443 } as const;

export const registryProbe: RegistryProbe = async () => {
  const result = await probeTcp(REGISTRY.host, REGISTRY.port, 3_000);
  if (result.reachable) return { reachable: true, detail: `${REGISTRY.host} answers` };
  if (result.reason === "timeout") return { reachable: false, detail: `${REGISTRY.host}:${REGISTRY.port} did not answer within 3 s` };
  return { reachable: false, detail: `${REGISTRY.host}: ${result.message}` };
};

export function describePick(pick: ProviderPick): string {
  return `cluster provider: ${pick.name} — ${pick.reason}`;
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

const PROBE_TIMEOUT_MS = 10_000;

/** testcontainers' runtime discovery, then `docker info`; never throws. */
export function dockerEngineProbe(runner: CommandRunner = zxCommandRunner, viaLibrary: DockerProbe = testcontainersProbe): DockerProbe {
  return async () => {
    const viaTestcontainers = await withTimeout(viaLibrary(), PROBE_TIMEOUT_MS, "testcontainers did not answer in time");
    if (viaTestcontainers.reachable) return viaTestcontainers;
    const cli = await runner({ command: "docker", args: ["info", "--format", "{{.ServerVersion}} {{.MemTotal}}"], timeoutMs: PROBE_TIMEOUT_MS });
    if (cli.exitCode === 0) {
      const [version, memory] = cli.stdout.trim().split(/\s+/);
      return { reachable: true, detail: `docker CLI: engine ${version}`, memoryBytes: memory ? Number(memory) : undefined };
    }
    const cliReason = cli.stderr.trim().split("\n").pop() || `docker info exited ${cli.exitCode}`;
    return { reachable: false, detail: `testcontainers: ${viaTestcontainers.detail}; docker CLI: ${cliReason}` };
  };
}

export async function testcontainersProbe(): Promise<DockerProbeResult> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const client = await getContainerRuntimeClient();
    const runtime = client.info.containerRuntime;
    return {
      reachable: true,
      detail: `testcontainers: engine ${runtime.serverVersion} at ${runtime.remoteSocketPath || runtime.host}, ${runtime.cpus} CPUs, ${formatGiB(runtime.memory)}`,
      memoryBytes: runtime.memory,
    };
  } catch (error) {
    return { reachable: false, detail: (error as Error).message };
  }
}

async function withTimeout(promise: Promise<DockerProbeResult>, ms: number, detail: string): Promise<DockerProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DockerProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ reachable: false, detail }), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
