/**
 * queue-manager's HTTP service (node:http, no framework). `/enqueue` is the business request; it
 * fails deterministically per the configured error rate. `/stats` is per pod and since start, so the
 * canary analysis can sum exactly the canary pods; `/metrics` is the same numbers for Prometheus.
 */
import { once } from "node:events";
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

/** The Prometheus side: request counts by code, plus the version and configured error rate as gauges. */
function queueManagerMetrics(config: QueueManagerConfig): { registry: Registry; requestsTotal: Counter<"code"> } {
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
  return { registry, requestsTotal };
}

/** The routes and the per-pod counters behind them. */
class QueueManagerHandler {
  private readonly startedAt: Date;
  private readonly schedule: ErrorSchedule;
  private readonly metrics: ReturnType<typeof queueManagerMetrics>;
  requests = 0;
  errors = 0;
  shuttingDown = false;

  constructor(
    private readonly config: QueueManagerConfig,
    private readonly now: () => Date,
  ) {
    this.startedAt = now();
    this.schedule = new ErrorSchedule(config.errorRate);
    this.metrics = queueManagerMetrics(config);
  }

  stats(): PodStats {
    const { config, startedAt } = this;
    return {
      version: config.version,
      pod: config.podName,
      podTemplateHash: config.podTemplateHash,
      requests: this.requests,
      errors: this.errors,
      errorRate: errorRateOf(this.requests, this.errors),
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.max(0, (this.now().getTime() - startedAt.getTime()) / 1000),
    };
  }

  private send(res: http.ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
    const text = contentType === "application/json" ? JSON.stringify(body) : String(body);
    // Keep-alive clients (k6, kube-proxy) would otherwise hold the server open past SIGTERM.
    if (this.shuttingDown) res.setHeader("connection", "close");
    res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private enqueue(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { config } = this;
    let bytes = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_ENQUEUE_BODY_BYTES && !refused) {
        refused = true;
        this.send(res, 413, { error: `body larger than ${MAX_ENQUEUE_BODY_BYTES} bytes` });
      }
    });
    req.on("end", () => {
      if (refused) return;
      this.requests += 1;
      const fail = this.schedule.next();
      res.setHeader(VERSION_HEADER, config.version);
      res.setHeader(POD_HEADER, config.podName);
      if (fail) {
        this.errors += 1;
        this.metrics.requestsTotal.inc({ code: "500" });
        this.send(res, 500, { error: `injected failure: version ${config.version} fails ${config.errorRate} of requests`, version: config.version });
      } else {
        this.metrics.requestsTotal.inc({ code: "200" });
        this.send(res, 200, { accepted: true, version: config.version });
      }
    });
  }

  readonly route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (path === "/enqueue") {
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        this.send(res, 405, { error: "use POST /enqueue" });
        return;
      }
      this.enqueue(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      this.send(res, 405, { error: `use GET ${path}` });
      return;
    }
    switch (path) {
      case "/healthz":
        this.send(res, 200, { status: "ok" });
        return;
      case "/readyz":
        this.send(res, this.shuttingDown ? 503 : 200, { status: this.shuttingDown ? "shutting down" : "ready" });
        return;
      case "/stats":
        this.send(res, 200, this.stats());
        return;
      case "/metrics":
        this.metrics.registry.metrics().then(
          (text) => this.send(res, 200, text, this.metrics.registry.contentType),
          (error: unknown) => this.send(res, 500, { error: String(error) }),
        );
        return;
      default:
        this.send(res, 404, { error: `no route ${path}; routes: POST /enqueue, GET /healthz /readyz /stats /metrics` });
    }
  };
}

export async function startQueueManager(config: QueueManagerConfig, options: QueueManagerOptions): Promise<StartedQueueManager> {
  const { logger } = options;
  const handler = new QueueManagerHandler(config, options.now ?? (() => new Date()));
  const server = http.createServer(handler.route);

  server.listen(config.port, config.listenHost);
  // Rejects with the listen error (port taken, address not available) if that comes first.
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  logger.info(
    { host: address.address, port: address.port, version: config.version, errorRate: config.errorRate, errorRateSource: config.errorRateSource },
    "queue-manager listening",
  );

  let closed: Promise<void> | undefined;
  function shutdown(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      handler.shuttingDown = true;
      logger.info({ requests: handler.requests, errors: handler.errors }, "queue-manager shutting down");
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

  return { url: `http://${host}:${address.port}`, address, stats: () => handler.stats(), shutdown };
}
