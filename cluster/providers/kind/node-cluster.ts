/**
 * The kind cluster itself (the Docker containers kind runs as nodes): whether it exists, creating it
 * (or reusing one only if it publishes the lab's host ports), and deleting it with the network kind
 * leaves behind. Upstream images give 3 nodes from cluster/kind/kind-config.yaml; the air-gapped build
 * gives one node of its own image with the same host port mappings.
 */
import fs from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Versions } from "../../manifests/kind-manifests.ts";
import { type CommandRunner, probeCommand, runOrThrow } from "../../kind/command-runner.ts";
import { KIND_CLUSTER_NAME, KIND_CONTROL_PLANE_CONTAINER, publishedHostPorts, readKindConfigTemplate, renderKindConfig } from "../../kind/config.ts";
import type { OfflineKindBuild } from "../../kind/offline/build.ts";
import { KIND_POD_SUBNET } from "../../kind/offline/node-image.ts";
import { renderOfflineKindConfig } from "../../kind/offline/node-config.ts";

/** Whether nothing listens on 127.0.0.1:<port> (the host ports kind is about to publish). */
export type PortFree = (port: number) => Promise<boolean>;

/** Binding, not connecting: a port is taken for kind even when its listener would refuse us. */
export const loopbackPortFree: PortFree = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });

export function kindStatePaths(stateDir: string) {
  return {
    kubeconfig: path.join(stateDir, "kubeconfig"),
    kindConfig: path.join(stateDir, "kind-config.yaml"),
    labJson: path.join(stateDir, "lab.json"),
  };
}
export type KindStatePaths = ReturnType<typeof kindStatePaths>;

const TIMEOUTS_MS = { createCluster: 15 * 60_000, deleteCluster: 5 * 60_000 } as const;

export interface KindNodeClusterOptions {
  runner: CommandRunner;
  paths: KindStatePaths;
  versions: Versions;
  /** The host ports the lab's manifests publish (they must be free before creating). */
  hostPorts: readonly number[];
  portFree: PortFree;
  /** Set when the lab runs on the air-gapped images. */
  offlineBuild: OfflineKindBuild | undefined;
}

export class KindNodeCluster {
  constructor(private readonly options: KindNodeClusterOptions) {}

  async exists(): Promise<boolean> {
    const clusters = await runOrThrow(this.options.runner, probeCommand("kind", ["get", "clusters"]), {
      what: "list kind clusters",
      hint: "check that Docker is running (`docker info`)",
    });
    return clusters.split("\n").map((line) => line.trim()).includes(KIND_CLUSTER_NAME);
  }

  async createOrReuse(log: (line: string) => void): Promise<void> {
    const { runner, paths } = this.options;
    if (!(await this.exists())) {
      await this.requireFreeHostPorts();
      await fs.writeFile(paths.kindConfig, this.renderClusterConfig());
      await runOrThrow(
        runner,
        {
          command: "kind",
          // --kubeconfig: kind writes the lab's kubeconfig there and leaves ~/.kube/config and its current context alone.
          args: ["create", "cluster", "--name", KIND_CLUSTER_NAME, "--config", paths.kindConfig, "--kubeconfig", paths.kubeconfig, "--wait", "180s"],
          timeoutMs: TIMEOUTS_MS.createCluster,
        },
        {
          what: `create kind cluster ${KIND_CLUSTER_NAME}`,
          hint:
            `read kind's output above; remove a half-created cluster with \`kind delete cluster --name ${KIND_CLUSTER_NAME}\`; ` +
            `host ports ${this.options.hostPorts.join(", ")} must be free on 127.0.0.1; on Linux see https://kind.sigs.k8s.io/docs/user/known-issues/ (inotify limits)`,
        },
      );
      return;
    }
    log(`  reusing the existing kind cluster ${KIND_CLUSTER_NAME}`);
    const kubeconfig = await runOrThrow(runner, probeCommand("kind", ["get", "kubeconfig", "--name", KIND_CLUSTER_NAME]), {
      what: `read the kubeconfig of kind cluster ${KIND_CLUSTER_NAME}`,
      hint: `if the cluster is broken, delete it (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again`,
    });
    await fs.writeFile(paths.kubeconfig, kubeconfig, { mode: 0o600 });
    const ports = await runOrThrow(runner, probeCommand("docker", ["port", KIND_CONTROL_PLANE_CONTAINER]), {
      what: `read the published ports of ${KIND_CONTROL_PLANE_CONTAINER}`,
      hint: `delete the cluster (\`kind delete cluster --name ${KIND_CLUSTER_NAME}\`) and run lab up again`,
    });
    const published = new Set([...ports.matchAll(/:(\d+)\s*$/gm)].map((match) => Number(match[1])));
    const missing = publishedHostPorts().filter((port) => !published.has(port));
    if (missing.length > 0) {
      throw new Error(
        `kind cluster ${KIND_CLUSTER_NAME} exists but does not publish host ports ${missing.join(", ")} (it was not created from cluster/kind/kind-config.yaml; ` +
          `kind can only add port mappings at creation).\nWhat to do: \`kind delete cluster --name ${KIND_CLUSTER_NAME}\` and run lab up again.`,
      );
    }
  }

  /** Deletes the cluster, then kind's `docker network` if nothing else uses it. */
  async delete(): Promise<void> {
    const { runner } = this.options;
    await runOrThrow(
      runner,
      { command: "kind", args: ["delete", "cluster", "--name", KIND_CLUSTER_NAME], timeoutMs: TIMEOUTS_MS.deleteCluster },
      { what: `delete kind cluster ${KIND_CLUSTER_NAME}`, hint: `retry; if it persists remove the node containers: \`docker rm -f ${KIND_CONTROL_PLANE_CONTAINER} ${KIND_CLUSTER_NAME}-worker ${KIND_CLUSTER_NAME}-worker2\`` },
    );
    // kind leaves its `kind` network for later clusters; the lab removes it when nothing else uses it
    // (docker refuses while a container is attached), so `lab down` leaves no network behind.
    await runner(probeCommand("docker", ["network", "rm", "kind"]));
  }

  /**
   * Upstream: cluster/kind/kind-config.yaml with the pinned node image (3 nodes). Air-gapped: one node of the
   * image built offline (no kindnet is built: the node's bridge CNI serves one node) with the same host
   * port mappings.
   */
  private renderClusterConfig(): string {
    const build = this.options.offlineBuild;
    if (!build) return renderKindConfig(this.options.versions);
    const controlPlane = readKindConfigTemplate().nodes.find((node) => node.role === "control-plane");
    return renderOfflineKindConfig({
      clusterName: KIND_CLUSTER_NAME,
      nodeImage: build.nodeImage,
      podSubnet: KIND_POD_SUBNET,
      etcdImageTag: build.etcdImageTag,
      extraPortMappings: controlPlane?.extraPortMappings ?? [],
    });
  }

  /** kind fails late and obscurely when a host port is taken; say which one, before creating anything. */
  private async requireFreeHostPorts(): Promise<void> {
    const { hostPorts, portFree } = this.options;
    const taken: number[] = [];
    for (const port of hostPorts) if (!(await portFree(port))) taken.push(port);
    if (taken.length > 0) {
      throw new Error(
        `host port(s) ${taken.join(", ")} on 127.0.0.1 are in use; the kind lab publishes ${hostPorts.join(", ")} there (cluster/kind/kind-config.yaml).\n` +
          `What to do: stop what listens there (\`ss -ltnp | grep -E ':(${taken.join("|")})\\b'\`), e.g. another lab or an old kind cluster (\`kind get clusters\`).`,
      );
    }
  }
}
