/**
 * What the sim's service proxy should forward, as a pure function of the API's Services and
 * EndpointSlices (kube-proxy's job in a cluster, for opted-in Services only):
 *   - a Service opts in with the annotation `chaoslab.streamforge.io/sim-host-port: "<port>"`, a port in
 *     SIM_SERVICE_PORTS (cluster/sim/layout.ts); the proxy listens on 127.0.0.1:<port>;
 *   - it forwards to the Service's first port, to the ready endpoints the real EndpointSlice controller
 *     keeps from pod readiness (ready, not terminating), round robin;
 *   - two Services claiming one port: the older keeps it, the other is reported, never silently shared.
 */
import type * as k8s from "@kubernetes/client-node";
import { SIM_SERVICE_PORTS } from "../layout.ts";

export const SIM_HOST_PORT_ANNOTATION = "chaoslab.streamforge.io/sim-host-port";
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface Endpoint {
  address: string;
  port: number;
  /** The pod behind the endpoint (targetRef), for logs and `/services`. */
  pod?: string;
}

export interface Route {
  /** `<namespace>/<name>` */
  service: string;
  hostPort: number;
  servicePort: { name: string; port: number };
  /** Ready endpoints, sorted by address so the round robin's order is stable. */
  endpoints: Endpoint[];
}

export interface RoutingProblem {
  service: string;
  message: string;
}

export const serviceKey = (object: { metadata?: { namespace?: string; name?: string } }) => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

/** The host port a Service asks for: undefined when it does not opt in, an error text when the value is unusable. */
export function parseSimHostPort(service: k8s.V1Service): { port: number } | { error: string } | undefined {
  const raw = service.metadata?.annotations?.[SIM_HOST_PORT_ANNOTATION];
  if (raw === undefined) return undefined;
  const port = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || port < SIM_SERVICE_PORTS.first || port > SIM_SERVICE_PORTS.last) {
    return {
      error: `annotation ${SIM_HOST_PORT_ANNOTATION}: expected a port in ${SIM_SERVICE_PORTS.first}–${SIM_SERVICE_PORTS.last} (cluster/sim/layout.ts), found ${JSON.stringify(raw)}`,
    };
  }
  return { port };
}

/**
 * Ready endpoints of one Service port across its EndpointSlices. `conditions.ready` nil means ready
 * (the API's documented default); terminating endpoints are never used. Duplicates (an endpoint seen in
 * two slices while the controller moves it) count once.
 */
export function readyEndpoints(servicePortName: string, slices: readonly k8s.V1EndpointSlice[]): Endpoint[] {
  const byAddress = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    const port = (slice.ports ?? []).find((candidate) => (candidate.name ?? "") === servicePortName && (candidate.protocol ?? "TCP") === "TCP");
    if (port?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
      const address = endpoint.addresses[0];
      if (!address) continue;
      byAddress.set(`${address}:${port.port}`, { address, port: port.port, pod: endpoint.targetRef?.name });
    }
  }
  return [...byAddress.values()].sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
}

function createdAt(service: k8s.V1Service): number {
  const created = service.metadata?.creationTimestamp;
  const time = created === undefined ? Number.NaN : new Date(created).getTime();
  return Number.isFinite(time) ? time : Number.MAX_SAFE_INTEGER;
}

/** Routes by host port, and the opted-in Services that cannot be routed (with why). */
export function desiredRoutes(
  services: readonly k8s.V1Service[],
  slices: readonly k8s.V1EndpointSlice[],
): { routes: Map<number, Route>; problems: RoutingProblem[] } {
  const problems: RoutingProblem[] = [];
  const claims = new Map<number, k8s.V1Service[]>();
  for (const service of services) {
    if (service.metadata?.deletionTimestamp) continue;
    const parsed = parseSimHostPort(service);
    if (parsed === undefined) continue;
    if ("error" in parsed) {
      problems.push({ service: serviceKey(service), message: parsed.error });
      continue;
    }
    if (service.spec?.type === "ExternalName") {
      problems.push({ service: serviceKey(service), message: "an ExternalName Service has no endpoints to forward to; remove the annotation" });
      continue;
    }
    if ((service.spec?.ports ?? []).length === 0) {
      problems.push({ service: serviceKey(service), message: "the Service has no ports" });
      continue;
    }
    claims.set(parsed.port, [...(claims.get(parsed.port) ?? []), service]);
  }
  const slicesByService = new Map<string, k8s.V1EndpointSlice[]>();
  for (const slice of slices) {
    const owner = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const key = `${slice.metadata?.namespace ?? ""}/${owner}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const routes = new Map<number, Route>();
  for (const [hostPort, claimants] of claims) {
    const [winner, ...losers] = [...claimants].sort((a, b) => createdAt(a) - createdAt(b) || serviceKey(a).localeCompare(serviceKey(b)));
    for (const loser of losers) {
      problems.push({
        service: serviceKey(loser),
        message: `host port ${hostPort} is already taken by Service ${serviceKey(winner!)}; pick another port in ${SIM_SERVICE_PORTS.first}–${SIM_SERVICE_PORTS.last}`,
      });
    }
    const key = serviceKey(winner!);
    const first = winner!.spec!.ports![0]!;
    const name = first.name ?? "";
    routes.set(hostPort, { service: key, hostPort, servicePort: { name, port: first.port }, endpoints: readyEndpoints(name, slicesByService.get(key) ?? []) });
  }
  return { routes, problems };
}

/** Round robin over a list that may change between picks; `attempts` bounds retries on dial failure. */
export class RoundRobin {
  private next = 0;

  /** The endpoints to try for one connection, in order: each once, starting at the next in turn. */
  order(endpoints: readonly Endpoint[]): Endpoint[] {
    if (endpoints.length === 0) return [];
    const start = this.next % endpoints.length;
    this.next = (start + 1) % endpoints.length;
    return [...endpoints.slice(start), ...endpoints.slice(0, start)];
  }
}
