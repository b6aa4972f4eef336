/**
 * `/healthz` (liveness: the process's own loop is turning), `/readyz` (informers synced and, on the
 * leader, partitions assigned) and `/metrics`. Bound to LISTEN_HOST (the pod IP in the manifests) so
 * replicas can share a port on the sim lab.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Probe {
  ok: boolean;
  detail: Record<string, unknown>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  liveness: () => Probe;
  readiness: () => Probe;
}

export interface StartedHttpServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<StartedHttpServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      const probe = path === "/healthz" ? options.liveness() : options.readiness();
      response.writeHead(probe.ok ? 200 : 503, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ ok: probe.ok, ...probe.detail }));
      return;
    }
    if (path === "/metrics") {
      options.registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { "Content-Type": options.registry.contentType });
          response.end(text);
        })
        .catch((error: unknown) => {
          response.writeHead(500, { "Content-Type": "text/plain" });
          response.end(String(error));
        });
      return;
    }
    response.writeHead(404, { "Content-Type": "text/plain" }).end("not found: try /healthz, /readyz or /metrics\n");
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    address: { host: address.address, port: address.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
