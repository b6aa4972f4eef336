/**
 * queue-manager's HTTP service (node:http, no framework). `/enqueue` is the business request; it
 * fails deterministically per the configured error rate. `/stats` is per pod and since start, so the
 * canary analysis can sum exactly the canary pods; `/metrics` is the same numbers for Prometheus.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import { ErrorSchedule } from "./error-schedule.ts";
import { errorRateOf, type PodStats } from "./pod-stats.ts";
import type { QueueManagerConfig } from "./queue-manager-config.ts";

export const VERSION_HEADER = "x-queue-manager-version";
export const POD_HEADER = "x-pod-name";

/** Bodies of `/enqueue` are small task descriptors; anything larger is refused before it is read. */
const MAX_ENQUEUE_BODY_BYTES = 64 * 1024;

export interface StartedQueueManager {
  readonly url: string;
  readonly address: AddressInfo;
  stats(): PodStats;
  /**
   * Stops answering readiness, refuses new connections, lets in-flight requests finish, and closes
   * what is left after `shutdownTimeoutMs`. Resolves once the server is closed.
   */
  shutdown(): Promise<void>;
}

export interface QueueManagerOptions {
  logger: Logger;
  now?: () => Date;
}

export async function startQueueManager(config: QueueManagerConfig, options: QueueManagerOptions): Promise<StartedQueueManager> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const schedule = new ErrorSchedule(config.errorRate);
  let requests = 0;
  let errors = 0;
  let shuttingDown = false;

  const registry = new Registry();
  const requestsTotal = new Counter({
    name: "queue_manager_enqueue_requests_total",
    help: "Business requests (/enqueue) served, by HTTP status code.",
    labelNames: ["code"],
    registers: [registry],
  });
  new Gauge({
    name: "queue_manager_info",
    help: "Constant 1, labelled with the version and pod-template hash this process runs as.",
    labelNames: ["version", "pod_template_hash"],
    registers: [registry],
  }).set({ version: config.version, pod_template_hash: config.podTemplateHash }, 1);
  new Gauge({
    name: "queue_manager_configured_error_rate",
    help: "Fraction of /enqueue requests this version is configured to fail.",
    registers: [registry],
  }).set(config.errorRate);

  function stats(): PodStats {
    return {
      version: config.version,
      pod: config.podName,
      podTemplateHash: config.podTemplateHash,
      requests,
      errors,
      errorRate: errorRateOf(requests, errors),
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.max(0, (now().getTime() - startedAt.getTime()) / 1000),
    };
  }

  function send(res: http.ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
    const text = contentType === "application/json" ? JSON.stringify(body) : String(body);
    // Keep-alive clients (k6, kube-proxy) would otherwise hold the server open past SIGTERM.
    if (shuttingDown) res.setHeader("connection", "close");
    res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  function enqueue(req: http.IncomingMessage, res: http.ServerResponse): void {
    let bytes = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_ENQUEUE_BODY_BYTES && !refused) {
        refused = true;
        send(res, 413, { error: `body larger than ${MAX_ENQUEUE_BODY_BYTES} bytes` });
      }
    });
    req.on("end", () => {
      if (refused) return;
      requests += 1;
      const fail = schedule.next();
      res.setHeader(VERSION_HEADER, config.version);
      res.setHeader(POD_HEADER, config.podName);
      if (fail) {
        errors += 1;
        requestsTotal.inc({ code: "500" });
        send(res, 500, { error: `injected failure: version ${config.version} fails ${config.errorRate} of requests`, version: config.version });
      } else {
        requestsTotal.inc({ code: "200" });
        send(res, 200, { accepted: true, version: config.version });
      }
    });
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (path === "/enqueue") {
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        send(res, 405, { error: "use POST /enqueue" });
        return;
      }
      enqueue(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, { error: `use GET ${path}` });
      return;
    }
    switch (path) {
      case "/healthz":
        send(res, 200, { status: "ok" });
        return;
      case "/readyz":
        send(res, shuttingDown ? 503 : 200, { status: shuttingDown ? "shutting down" : "ready" });
        return;
      case "/stats":
        send(res, 200, stats());
        return;
      case "/metrics":
        registry.metrics().then(
          (text) => send(res, 200, text, registry.contentType),
          (error: unknown) => send(res, 500, { error: String(error) }),
        );
        return;
      default:
        send(res, 404, { error: `no route ${path}; routes: POST /enqueue, GET /healthz /readyz /stats /metrics` });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.listenHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger.info(
    { host: address.address, port: address.port, version: config.version, errorRate: config.errorRate, errorRateSource: config.errorRateSource },
    "queue-manager listening",
  );

  let closed: Promise<void> | undefined;
  function shutdown(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      shuttingDown = true;
      logger.info({ requests, errors }, "queue-manager shutting down");
      const forceClose = setTimeout(() => {
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, "in-flight requests did not finish in time; closing connections");
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      forceClose.unref();
      server.close(() => {
        clearTimeout(forceClose);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closed;
  }

  return { url: `http://${host}:${address.port}`, address, stats, shutdown };
}
