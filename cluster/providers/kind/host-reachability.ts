/**
 * What `lab up` proves from the host before it says the kind lab is up: the Toxiproxy API answers with
 * every proxy, and Kafka's host listener accepts connections on the port kind publishes. Both poll for
 * up to a minute and fail with what to look at.
 */
import { KIND_CONTROL_PLANE_CONTAINER } from "../../kind/config.ts";
import { type Clock, pollUntil } from "../../kind/wait.ts";
import type { KindLabTopology } from "../../manifests/kind-manifests.ts";
import type { ToxiproxyNetworkHandles } from "../../network/toxiproxy-network.ts";
import { parseHostAddress } from "../../provider.ts";

/** Whether something accepts TCP connections on host:port (network/tcp-probe.ts canConnect; tests fake it). */
export type TcpProbe = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

const HOST_REACHABLE_TIMEOUT_MS = 60_000;

export async function verifyToxiproxyFromHost(handles: ToxiproxyNetworkHandles, apiUrl: string, topology: KindLabTopology, clock: Clock): Promise<void> {
  const expected = [...topology.proxyNames.values()];
  await pollUntil({
    what: `Toxiproxy API ${apiUrl}`,
    timeoutMs: HOST_REACHABLE_TIMEOUT_MS,
    intervalMs: 2_000,
    progressEveryMs: 0,
    clock,
    log: () => {},
    check: async () => {
      try {
        const present = await handles.proxyNamesPresent();
        const missing = expected.filter((name) => !present.includes(name));
        return missing.length === 0 ? { done: true, value: undefined } : { done: false, progress: `proxies missing: ${missing.join(", ")}` };
      } catch (error) {
        return { done: false, progress: (error as Error).message };
      }
    },
    timeoutError: (last) =>
      new Error(
        `Toxiproxy API ${apiUrl} is not usable from the host: ${last}\n` +
          `What to do: check \`kubectl -n ${topology.kafkaNamespace} get pods,svc -l app.kubernetes.io/name=kafka-proxy\` and that ` +
          `the cluster publishes port ${topology.toxiproxyApiHostPort} (\`docker port ${KIND_CONTROL_PLANE_CONTAINER}\`).`,
      ),
  });
}

export async function verifyHostBootstrap(topology: KindLabTopology, tcpProbe: TcpProbe, clock: Clock): Promise<void> {
  const { host, port } = parseHostAddress(topology.hostBootstrap);
  await pollUntil({
    what: `Kafka bootstrap ${topology.hostBootstrap}`,
    timeoutMs: HOST_REACHABLE_TIMEOUT_MS,
    intervalMs: 2_000,
    progressEveryMs: 0,
    clock,
    log: () => {},
    check: async () => ((await tcpProbe(host, port, 3_000)) ? { done: true, value: undefined } : { done: false, progress: "connection refused or timed out" }),
    timeoutError: () =>
      new Error(
        `Kafka's host listener ${topology.hostBootstrap} does not accept connections.\n` +
          `What to do: check \`docker port ${KIND_CONTROL_PLANE_CONTAINER}\` lists ${port} and \`kubectl -n ${topology.kafkaNamespace} get svc\` ` +
          `has the nodeport services of listener "host". With a remote Docker engine (DOCKER_HOST=tcp://…) 127.0.0.1 is not where the ports are published.`,
      ),
  });
}
