/**
 * How this machine reaches Services of a real cluster (kind, existing): through the API server's service
 * proxy, `/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/...`. It needs no published port, no
 * NodePort and no `kubectl port-forward` (which pins one pod); it works wherever the API server is
 * reachable; and the API server picks a ready endpoint for every request, so load spreads over the
 * Service's pods as kube-proxy would spread it — what the canary's traffic split needs.
 *
 * The harness and the tools it starts (k6) speak plain HTTP to a forwarder on 127.0.0.1 that adds the
 * kubeconfig's credentials. One forwarder per kubeconfig per process, started on first use; it does not
 * keep the process alive.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import * as k8s from "@kubernetes/client-node";
import type { ServiceWaitOptions } from "../provider.ts";
import { apiErrorCode, loadKubeConfig } from "./apply.ts";
import { clusterEndpointSlices } from "./endpoint-slices.ts";

const forwarders = new Map<string, Promise<string>>();

/** Starts (once) a local HTTP forwarder to the API server of `kubeconfig`; resolves to its base URL. */
function apiServerForwarder(kubeconfig: string): Promise<string> {
  let started = forwarders.get(kubeconfig);
  if (!started) {
    started = startForwarder(loadKubeConfig(kubeconfig));
    forwarders.set(kubeconfig, started);
    started.catch(() => forwarders.delete(kubeconfig));
  }
  return started;
}

async function startForwarder(config: k8s.KubeConfig): Promise<string> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster: cannot reach Services through the API server");
  const server = new URL(cluster.server);
  const agentOptions: https.RequestOptions = {};
  await config.applyToHTTPSOptions(agentOptions);
  // Real API servers speak TLS; a plain-HTTP one (kubectl proxy, a test's fake) is forwarded as it is.
  const client = server.protocol === "http:" ? http : https;
  const proxy = http.createServer((request, response) => {
    const upstream = client.request(
      {
        ...agentOptions,
        protocol: server.protocol,
        hostname: server.hostname,
        port: server.port || (server.protocol === "http:" ? 80 : 443),
        method: request.method,
        path: request.url,
        headers: { ...request.headers, ...(agentOptions.headers ?? {}), host: server.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`chaoslab service forwarder: the API server ${server.host} did not answer: ${error.message}\n`);
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(0, "127.0.0.1", () => resolve());
  });
  proxy.unref();
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

/** The base URL of Service `<namespace>/<name>` (its first port) through the forwarder; waits per options. */
export async function serviceProxyUrl(kubeconfig: string, namespace: string, name: string, options: ServiceWaitOptions = {}): Promise<string> {
  const config = loadKubeConfig(kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last = "not read yet";
  for (;;) {
    try {
      const service = await core.readNamespacedService({ namespace, name });
      const port = service.spec?.ports?.[0];
      if (!port) {
        last = "the Service has no ports";
      } else {
        const ready = !options.ready || (await clusterEndpointSlices(config, namespace, name)).some((slice) => (slice.endpoints ?? []).some((endpoint) => endpoint.conditions?.ready !== false));
        if (ready) return `${await apiServerForwarder(kubeconfig)}/api/v1/namespaces/${namespace}/services/${name}:${port.name || port.port}/proxy`;
        last = "no ready endpoint yet";
      }
    } catch (error) {
      last = apiErrorCode(error) === 404 ? "the Service does not exist" : (error as Error).message;
    }
    if (Date.now() >= deadline || options.signal?.aborted) {
      throw new Error(`Service ${namespace}/${name} is not reachable through the API server: ${last}. What to do: \`kubectl -n ${namespace} get service,endpointslices ${name}\``);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
