/**
 * What the sim's service proxy should forward, as a pure function of the API's Services and Pods
 * (kube-proxy's job in a cluster, for opted-in Services only):
 *   - a Service opts in with the annotation `chaoslab.streamforge.io/sim-host-port: "<port>"`, a port in
 *     SIM_SERVICE_PORTS (cluster/sim/layout.ts); the proxy listens on 127.0.0.1:<port> (shifted by the
 *     lab's slot, like every lab port: `simHostPort`);
 *   - it forwards to the Service's first port, to its ready endpoints (ready, not terminating) as the
 *     EndpointSlice controller computes them from the Service's selector and pod readiness (see
 *     `podEndpoints` for why not from the slices themselves), round robin;
 *   - two Services claiming one port: the older keeps it, the other is reported, never silently shared.
 */
import type * as k8s from "@kubernetes/client-node";
import { SIM_SERVICE_PORTS, simHostPort } from "../layout.ts";

export const SIM_HOST_PORT_ANNOTATION = "chaoslab.streamforge.io/sim-host-port";

export interface Endpoint {
  address: string;
  port: number;
  /** The pod behind the endpoint (targetRef), for logs and `/services`. */
  pod?: string;
}

export interface Route {
  /** `<namespace>/<name>` */
  service: string;
  /** Where the proxy listens: the annotated port, shifted by the lab's slot (layout.ts `simHostPort`). */
  hostPort: number;
  servicePort: { name: string; port: number };
  /** Ready endpoints, sorted by address so the round robin's order is stable. */
  endpoints: Endpoint[];
}

export interface RoutingProblem {
  service: string;
  message: string;
}

const serviceKey = (object: { metadata?: { namespace?: string; name?: string } }) => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

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

/** An endpoint as the EndpointSlice controller would record it, with its conditions. */
export interface PodEndpoint extends Endpoint {
  pod: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

function matchesSelector(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function isPodReady(pod: k8s.V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

/** podutil ShouldPodBeInEndpoints (k8s 1.34, terminating endpoints included as the controller does). */
function shouldBeInEndpoints(pod: k8s.V1Pod): boolean {
  if (!pod.status?.podIP && (pod.status?.podIPs ?? []).length === 0) return false;
  const phase = pod.status?.phase;
  const restartPolicy = pod.spec?.restartPolicy ?? "Always";
  if (restartPolicy === "Never") return phase !== "Failed" && phase !== "Succeeded";
  if (restartPolicy === "OnFailure") return phase !== "Succeeded";
  return true;
}

/** The target port of a Service port in one pod: a number as is, a name looked up in the pod's containers. */
function targetPortIn(servicePort: k8s.V1ServicePort, pod: k8s.V1Pod): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec?.containers ?? []) {
    const port = (container.ports ?? []).find((candidate) => candidate.name === target && (candidate.protocol ?? "TCP") === (servicePort.protocol ?? "TCP"));
    if (port) return port.containerPort;
  }
  return undefined;
}

/**
 * The endpoints of one Service port, computed from the Service's selector and its pods exactly as the
 * EndpointSlice controller does (kube-controller-manager, k8s 1.34): same namespace, selector match, a
 * pod IP, not finished, target port resolved by name; `ready` = pod Ready and not terminating.
 *
 * Why not read the EndpointSlices themselves: on the sim every pod IP is a loopback address (process
 * runtime 127.10.x.y, kwok 127.40.x.y) and the API server's validation rejects loopback addresses in
 * EndpointSlices ("may not be in the loopback range"), so the real controller's slices stay empty there
 * (it logs FailedToUpdateEndpointSlices). The inputs — the Service, pod readiness written by the process
 * runtime's probes — are the real ones; only this last step is recomputed. Sorted by address.
 */
export function podEndpoints(service: k8s.V1Service, servicePort: k8s.V1ServicePort, pods: readonly k8s.V1Pod[]): PodEndpoint[] {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const endpoints: PodEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata?.namespace !== service.metadata?.namespace || !matchesSelector(selector, pod.metadata?.labels)) continue;
    if (!shouldBeInEndpoints(pod)) continue;
    const port = targetPortIn(servicePort, pod);
    if (port === undefined) continue;
    const terminating = Boolean(pod.metadata?.deletionTimestamp);
    const serving = isPodReady(pod);
    endpoints.push({ address: pod.status?.podIP ?? pod.status!.podIPs![0]!.ip, port, pod: pod.metadata?.name ?? "", ready: serving && !terminating, serving, terminating });
  }
  return endpoints.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
}

/** What the proxy forwards to: ready endpoints only. */
export function readyEndpoints(service: k8s.V1Service, servicePort: k8s.V1ServicePort, pods: readonly k8s.V1Pod[]): Endpoint[] {
  return podEndpoints(service, servicePort, pods)
    .filter((endpoint) => endpoint.ready)
    .map(({ address, port, pod }) => ({ address, port, pod }));
}

function createdAt(service: k8s.V1Service): number {
  const created = service.metadata?.creationTimestamp;
  const time = created === undefined ? Number.NaN : new Date(created).getTime();
  return Number.isFinite(time) ? time : Number.MAX_SAFE_INTEGER;
}

/** Routes by host port, and the opted-in Services that cannot be routed (with why). */
export function desiredRoutes(
  services: readonly k8s.V1Service[],
  pods: readonly k8s.V1Pod[],
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
    routes.set(simHostPort(hostPort), {
      service: key,
      hostPort: simHostPort(hostPort),
      servicePort: { name: first.name ?? "", port: first.port },
      endpoints: readyEndpoints(winner!, first, pods),
    });
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
