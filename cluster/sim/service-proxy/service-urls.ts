/**
 * Where host processes reach a Service on the sim: asked of the service proxy itself (`GET /services`
 * on its health port), so a URL is handed out only when the proxy really listens and forwards — the
 * Service's annotation says what is wanted, the proxy says what is. Provider-neutral callers use
 * `StartedLab.services.hostUrl` (the sim lab answers it with this).
 */
import type { ServiceWaitOptions } from "../../provider.ts";
import { LOOPBACK, PORTS } from "../layout.ts";
import type { Endpoint, RoutingProblem } from "./routes.ts";
import { SIM_HOST_PORT_ANNOTATION } from "./routes.ts";

export interface ProxiedService {
  url: string;
  hostPort: number;
  servicePort: { name: string; port: number };
  endpoints: (Endpoint & { connections: number })[];
  refusedConnections: number;
}

export interface ProxiedServices {
  /** Both watches (Services, EndpointSlices) have listed. */
  synced: boolean;
  /** By `<namespace>/<name>`. */
  services: Record<string, ProxiedService>;
  problems: RoutingProblem[];
}

export function serviceProxyUrl(): string {
  return `http://${LOOPBACK}:${PORTS.serviceProxyHealth}`;
}

export class ServiceProxyUnavailableError extends Error {
  override name = "ServiceProxyUnavailableError";
}

export async function fetchProxiedServices(signal?: AbortSignal): Promise<ProxiedServices> {
  const url = `${serviceProxyUrl()}/services`;
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(2_000)]) : AbortSignal.timeout(2_000) });
  } catch (error) {
    throw new ServiceProxyUnavailableError(
      `the sim's service proxy does not answer at ${url} (${(error as Error).message}). A lab started before the proxy existed has none: ` +
        "ask the lead to restart the lab, or run it by hand: `KUBECONFIG=.chaoslab/sim/kubeconfig node --import tsx cluster/sim/service-proxy/main.ts`",
    );
  }
  if (!response.ok) throw new ServiceProxyUnavailableError(`${url} answered ${response.status}`);
  return (await response.json()) as ProxiedServices;
}

/** The proxied URL of `<namespace>/<name>`; waits (bounded) for the proxy to forward it. */
export async function simServiceUrl(key: string, options: ServiceWaitOptions = {}): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const state = await fetchProxiedServices(options.signal);
    const service = state.services[key];
    if (service && (!options.ready || service.endpoints.length > 0)) return service.url;
    if (Date.now() >= deadline || options.signal?.aborted) {
      const problem = state.problems.find((candidate) => candidate.service === key);
      const why = problem
        ? problem.message
        : service
          ? "it is forwarded but has no ready endpoint (are its pods Ready? `kubectl get pods -l <selector>`)"
          : `the proxy does not forward it: annotate the Service with ${SIM_HOST_PORT_ANNOTATION}: "<port>" (cluster/sim/layout.ts SIM_SERVICE_PORTS)`;
      throw new Error(`no host URL for Service ${key} on the sim: ${why} (forwarded: ${Object.keys(state.services).join(", ") || "none"})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
