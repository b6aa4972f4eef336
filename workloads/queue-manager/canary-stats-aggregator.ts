/**
 * The canary-stats aggregator: `GET /canary-stats/<pod-template-hash>` sums `/stats` of every running
 * queue-manager pod carrying `rollouts-pod-template-hash=<hash>`. It is what the AnalysisTemplate's web
 * metric reads, so the analysis sees the canary pods alone (at 10% weight, stable pods would dilute the
 * canary's errors ten-fold).
 *
 * Provider-neutral by construction: the AnalysisTemplate takes the aggregator's base URL as an argument
 * (from the Rollout annotation `CANARY_STATS_URL_ANNOTATION`). The same server runs either as a pod
 * (manifests/canary-stats-aggregator.yaml, role `canary-stats-aggregator` of the queue-manager image;
 * credentials from its ServiceAccount: in-cluster on kind, the KUBECONFIG the sim's process runtime
 * writes for each pod on the sim) or inside the harness (`startCanaryStatsAggregator` with the lab's
 * kubeconfig). Only the URL differs: cluster DNS for an in-cluster Argo controller; on the sim, whose
 * Argo controller is a host process, a host-reachable address (the Service's URL from the lab
 * description, the aggregator pod's loopback IP, or the harness's own listener).
 *
 * Answers are chosen so that Argo's web provider can never pass on a broken measurement: every
 * failure is a non-2xx status (a measurement `Error`), and success is always a JSON object (a non-JSON
 * 200 body would be taken as `Successful` without evaluating any condition).
 */
import http from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { aggregateCanaryStats, CanaryStatsError, podStatsSchema, type CanaryPodSample } from "./pod-stats.ts";
import { ConfigError } from "./queue-manager-config.ts";
import { STREAMFORGE_NAMESPACE } from "../queue-events/namespace.ts";

/**
 * Annotation on Rollout `queue-manager` holding the aggregator's base URL; the analysis step reads it
 * through a fieldRef. Setting it never touches the Rollout's spec, so it can be changed per provider
 * without restarting a canary; it must be set before revision N+1 reaches its analysis step.
 */
export const CANARY_STATS_URL_ANNOTATION = "chaoslab.streamforge.io/canary-stats-url";

export interface CanaryPodRef {
  name: string;
  /** Full URL of the pod's `/stats`. */
  statsUrl: string;
}

/** Lists the running pods of one pod-template hash. */
export type CanaryPodLister = (podTemplateHash: string) => Promise<CanaryPodRef[]>;

/** A label value (Argo's hashes are a subset): also keeps a comma from widening the label selector. */
const POD_TEMPLATE_HASH_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const ROUTE_PREFIX = "/canary-stats/";

export interface KubernetesCanaryPodListerOptions {
  /** From `@kubernetes/client-node`'s `KubeConfig` (in-cluster, or the lab's kubeconfig). */
  kubeConfig: KubeConfig;
  namespace: string;
  /** Label selector of the Rollout's pods, without the hash, e.g. `app=queue-manager`. */
  selector: string;
  /** queue-manager's container port. */
  port: number;
}

export async function kubernetesCanaryPodLister(options: KubernetesCanaryPodListerOptions): Promise<CanaryPodLister> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  return async (podTemplateHash) => {
    const labelSelector = [options.selector, `rollouts-pod-template-hash=${podTemplateHash}`].filter(Boolean).join(",");
    const list = await core.listNamespacedPod({ namespace: options.namespace, labelSelector });
    return list.items
      .filter((pod) => pod.status?.phase === "Running" && pod.status.podIP)
      .map((pod) => {
        const ip = pod.status?.podIP ?? "";
        const host = ip.includes(":") ? `[${ip}]` : ip;
        return { name: pod.metadata?.name ?? "", statsUrl: `http://${host}:${options.port}/stats` };
      });
  };
}

export interface CanaryStatsAggregatorOptions {
  listPods: CanaryPodLister;
  logger: Logger;
  /** Per-pod `/stats` timeout; well under the web metric's own timeout. */
  statsTimeoutMs?: number;
  host?: string;
  port?: number;
}

export interface StartedCanaryStatsAggregator {
  /** Base URL to give the AnalysisTemplate as `stats-url`. */
  readonly url: string;
  readonly address: AddressInfo;
  shutdown(): Promise<void>;
}

async function fetchPodStats(pod: CanaryPodRef, timeoutMs: number): Promise<CanaryPodSample> {
  let response: Response;
  try {
    response = await fetch(pod.statsUrl, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new CanaryStatsError(`pod ${pod.name}: GET ${pod.statsUrl} failed: ${(error as Error).message}`);
  }
  if (!response.ok) throw new CanaryStatsError(`pod ${pod.name}: GET ${pod.statsUrl} answered ${response.status}`);
  const parsed = podStatsSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new CanaryStatsError(`pod ${pod.name}: GET ${pod.statsUrl} is not queue-manager /stats: ${parsed.error.issues[0]?.message}`);
  }
  return { pod: pod.name, stats: parsed.data };
}

export async function startCanaryStatsAggregator(options: CanaryStatsAggregatorOptions): Promise<StartedCanaryStatsAggregator> {
  const { listPods, logger } = options;
  const statsTimeoutMs = options.statsTimeoutMs ?? 2_000;

  function send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  async function canaryStats(podTemplateHash: string, res: http.ServerResponse): Promise<void> {
    let pods: CanaryPodRef[];
    try {
      pods = await listPods(podTemplateHash);
    } catch (error) {
      logger.warn({ err: error, podTemplateHash }, "listing canary pods failed");
      send(res, 503, { error: `listing pods with rollouts-pod-template-hash=${podTemplateHash} failed: ${(error as Error).message}` });
      return;
    }
    try {
      const samples = await Promise.all(pods.map((pod) => fetchPodStats(pod, statsTimeoutMs)));
      const aggregate = aggregateCanaryStats(podTemplateHash, samples);
      logger.info({ podTemplateHash, pods: aggregate.pods, requests: aggregate.requests, errors: aggregate.errors }, "canary stats");
      send(res, 200, aggregate);
    } catch (error) {
      // A pod that cannot be measured makes the sum incomplete: fail the measurement rather than under-count.
      logger.warn({ err: error, podTemplateHash }, "canary stats incomplete");
      send(res, 502, { error: (error as Error).message });
    }
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      send(res, 405, { error: `use GET ${path}` });
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      send(res, 200, { status: "ok" });
      return;
    }
    if (path.startsWith(ROUTE_PREFIX)) {
      const podTemplateHash = decodeURIComponent(path.slice(ROUTE_PREFIX.length));
      if (!POD_TEMPLATE_HASH_PATTERN.test(podTemplateHash)) {
        send(res, 400, { error: `expected ${ROUTE_PREFIX}<rollouts-pod-template-hash>, found ${JSON.stringify(path)}` });
        return;
      }
      canaryStats(podTemplateHash, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
      return;
    }
    send(res, 404, { error: `no route ${path}; routes: GET ${ROUTE_PREFIX}<hash>, /healthz, /readyz` });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, "canary-stats aggregator listening");

  let closed: Promise<void> | undefined;
  return {
    url,
    address,
    shutdown() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

type Env = Record<string, string | undefined>;

function portFrom(env: Env, key: string, fallback: number): number {
  const raw = env[key]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`env ${key}: expected a port in [0, 65535], found ${JSON.stringify(raw)}; fix the pod template's env`);
  }
  return port;
}

/**
 * The pod role. Env: LISTEN_HOST, PORT (8080), TARGET_NAMESPACE (else POD_NAMESPACE, else
 * `streamforge`), TARGET_SELECTOR (`app=queue-manager`), TARGET_PORT (8080). Credentials: KUBECONFIG
 * when set (the sim's process runtime sets it per pod), else the in-cluster ServiceAccount.
 */
export async function startCanaryStatsAggregatorFromEnv(env: Env, logger: Logger): Promise<StartedCanaryStatsAggregator> {
  const { KubeConfig: KubeConfigClass } = await import("@kubernetes/client-node");
  const kubeConfig = new KubeConfigClass();
  kubeConfig.loadFromDefault();
  const listPods = await kubernetesCanaryPodLister({
    kubeConfig,
    namespace: env.TARGET_NAMESPACE?.trim() || env.POD_NAMESPACE?.trim() || STREAMFORGE_NAMESPACE,
    selector: env.TARGET_SELECTOR?.trim() || "app=queue-manager",
    port: portFrom(env, "TARGET_PORT", 8080),
  });
  return startCanaryStatsAggregator({
    listPods,
    logger,
    host: env.LISTEN_HOST?.trim() || "0.0.0.0",
    port: portFrom(env, "PORT", 8080),
  });
}
