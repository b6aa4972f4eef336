/**
 * The sim's service proxy: kube-proxy for host processes, for the Services that opt in.
 *
 * The sim has no cluster network: pods of lab images listen on their own loopback IPs (127.10.x.y) and
 * nothing routes a Service's ClusterIP. Host processes that must reach a Service — k6, the Argo
 * controller's analysis (web metrics), the harness — use this proxy instead: for every Service annotated
 * `chaoslab.streamforge.io/sim-host-port: "<port>"` it listens on 127.0.0.1:<port> and forwards each TCP
 * connection to a ready endpoint of the Service, round robin. Endpoints are what the EndpointSlice
 * controller computes from the Service's selector and the pods' real readiness (routes.ts
 * `podEndpoints`: the API server refuses the sim's loopback pod IPs in EndpointSlices, so the slices
 * themselves stay empty). It follows Services and Pods by watch. `GET /services` on its health port says what it forwards (the harness resolves URLs there);
 * `/healthz` is 200 once both watches have listed.
 *
 * Run by `startSimLab` as component `service-proxy`; by hand for development:
 *   KUBECONFIG=.chaoslab/sim/kubeconfig node --import tsx cluster/sim/service-proxy/main.ts
 */
import http from "node:http";
import * as k8s from "@kubernetes/client-node";
import { LOOPBACK, PORTS } from "../layout.ts";
import { apiErrorMessage } from "../../kube/apply.ts";
import { desiredRoutes, type RoutingProblem } from "./routes.ts";
import { TcpForwarder } from "./tcp-forwarder.ts";
import type { ProxiedServices } from "./service-urls.ts";

const kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) throw new Error("service-proxy: KUBECONFIG must point at the lab's admin kubeconfig (.chaoslab/sim/kubeconfig)");
const config = new k8s.KubeConfig();
config.loadFromFile(kubeconfigPath);
const core = config.makeApiClient(k8s.CoreV1Api);
const healthPort = Number(process.env.SERVICE_PROXY_HEALTH_PORT ?? PORTS.serviceProxyHealth);

function log(message: string, fields: Record<string, unknown> = {}) {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg: message, ...fields })}\n`);
}

const forwarders = new Map<number, TcpForwarder>();
/** Host ports whose listen failed (taken by another process): retried on every reconcile. */
const listenProblems = new Map<number, RoutingProblem>();
let routingProblems: RoutingProblem[] = [];
const synced = { services: false, pods: false };

const services = k8s.makeInformer(config, "/api/v1/services", () => core.listServiceForAllNamespaces());
const pods = k8s.makeInformer(config, "/api/v1/pods", () => core.listPodForAllNamespaces());

let reconciling: Promise<void> | undefined;
let again = false;
/** Coalesces bursts of watch events into one pass; a pass never overlaps another. */
function scheduleReconcile() {
  if (reconciling) {
    again = true;
    return;
  }
  reconciling = (async () => {
    do {
      again = false;
      await reconcile().catch((error: unknown) => log("reconcile failed", { error: (error as Error).message }));
    } while (again);
  })().finally(() => (reconciling = undefined));
}

async function reconcile() {
  if (!synced.services || !synced.pods) return;
  const { routes, problems } = desiredRoutes(services.list(), pods.list());
  routingProblems = problems;
  for (const [port, forwarder] of forwarders) {
    const route = routes.get(port);
    if (!route || route.service !== forwarder.current.service) {
      forwarders.delete(port);
      await forwarder.close();
      log("stopped forwarding", { port, service: forwarder.current.service });
    }
  }
  for (const [port, route] of routes) {
    const existing = forwarders.get(port);
    if (existing) {
      const before = existing.current.endpoints.map((endpoint) => endpoint.address).join(",");
      existing.update(route);
      const after = route.endpoints.map((endpoint) => endpoint.address).join(",");
      if (before !== after) log("endpoints changed", { service: route.service, port, endpoints: route.endpoints.map((endpoint) => `${endpoint.address}:${endpoint.port}`) });
      continue;
    }
    const forwarder = new TcpForwarder(route, LOOPBACK, log);
    try {
      await forwarder.listen();
      forwarders.set(port, forwarder);
      listenProblems.delete(port);
      log("forwarding", { service: route.service, url: `http://${LOOPBACK}:${port}`, endpoints: route.endpoints.length });
    } catch (error) {
      const message = `cannot listen on ${LOOPBACK}:${port}: ${(error as Error).message}; another process holds it (find it with \`ss -ltnp | grep ${port}\`)`;
      if (listenProblems.get(port)?.message !== message) log("listen failed", { service: route.service, error: message });
      listenProblems.set(port, { service: route.service, message });
    }
  }
  for (const port of listenProblems.keys()) if (!routes.has(port)) listenProblems.delete(port);
}

function proxiedServices(): ProxiedServices {
  return {
    synced: synced.services && synced.pods,
    services: Object.fromEntries(
      [...forwarders.values()].map((forwarder) => {
        const route = forwarder.current;
        return [
          route.service,
          {
            url: `http://${LOOPBACK}:${route.hostPort}`,
            hostPort: route.hostPort,
            servicePort: route.servicePort,
            endpoints: route.endpoints.map((endpoint) => ({ ...endpoint, connections: forwarder.forwarded.get(`${endpoint.address}:${endpoint.port}`) ?? 0 })),
            refusedConnections: forwarder.refused,
          },
        ];
      }),
    ),
    problems: [...routingProblems, ...listenProblems.values()],
  };
}

/** @kubernetes/client-node's informer stops on errors; restart it with back-off, as the process runtime does. */
function watch(name: keyof typeof synced, informer: k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) {
  for (const event of ["add", "update", "delete"] as const) informer.on(event, () => scheduleReconcile());
  let failures = 0;
  informer.on("connect", () => {
    failures = 0;
  });
  informer.on("error", (error: unknown) => {
    failures += 1;
    const delayMs = Math.min(500 * 2 ** failures, 10_000);
    log(`${name} informer error; restarting`, { error: apiErrorMessage(error), delayMs });
    setTimeout(() => informer.start().then(() => scheduleReconcile(), () => {}), delayMs);
  });
  return informer.start().then(() => {
    synced[name] = true;
    scheduleReconcile();
  });
}

let shuttingDown = false;
async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  log("stopping", { signal });
  await Promise.allSettled([services.stop(), pods.stop()]);
  await Promise.allSettled([...forwarders.values()].map((forwarder) => forwarder.close()));
  health.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

const health = http.createServer((request, response) => {
  const path = (request.url ?? "/").split("?", 1)[0];
  if (path === "/healthz") {
    const ok = synced.services && synced.pods;
    response.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
    response.end(JSON.stringify({ synced, forwarding: forwarders.size }));
    return;
  }
  if (path === "/services") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(proxiedServices()));
    return;
  }
  response.writeHead(404, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: `no route ${path}; routes: /healthz, /services` }));
});
await new Promise<void>((resolve, reject) => {
  health.once("error", (error) => reject(new Error(`service-proxy: cannot listen on ${LOOPBACK}:${healthPort}: ${error.message}; is another service proxy running?`)));
  health.listen(healthPort, LOOPBACK, () => resolve());
});
await Promise.all([
  watch("services", services as unknown as k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>),
  watch("pods", pods as unknown as k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>),
]);
// Listens that failed (a port held by someone else) are retried; watch gaps are covered by relists.
setInterval(() => scheduleReconcile(), 5_000).unref();
log("service proxy watching Services and Pods", { health: `http://${LOOPBACK}:${healthPort}` });
