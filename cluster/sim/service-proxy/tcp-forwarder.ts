/**
 * One listener of the service proxy: accepts TCP on 127.0.0.1:<hostPort> and splices each connection
 * to one ready endpoint of its Service, round robin. Like kube-proxy's old userspace mode, a dial that
 * fails (the pod just died and its EndpointSlice is not updated yet) moves on to the next endpoint, each
 * tried once; bytes are only forwarded once a dial succeeded, so nothing is ever sent twice.
 */
import net from "node:net";
import { RoundRobin, type Endpoint, type Route } from "./routes.ts";

const DIAL_TIMEOUT_MS = 2_000;

export interface ForwarderLog {
  (message: string, fields?: Record<string, unknown>): void;
}

export class TcpForwarder {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly roundRobin = new RoundRobin();
  private route: Route;
  /** Connections forwarded per endpoint address, for `/services`. */
  readonly forwarded = new Map<string, number>();
  refused = 0;

  constructor(
    route: Route,
    private readonly host: string,
    private readonly log: ForwarderLog,
  ) {
    this.route = route;
    this.server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => this.accept(client));
  }

  get hostPort(): number {
    return this.route.hostPort;
  }

  get current(): Route {
    return this.route;
  }

  update(route: Route): void {
    this.route = route;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once("error", onError);
      this.server.listen(this.route.hostPort, this.host, () => {
        this.server.off("error", onError);
        this.server.on("error", (error) => this.log("listener error", { port: this.route.hostPort, error: error.message }));
        resolve();
      });
    });
  }

  /** Stops accepting; open connections are cut (the Service is gone or no longer opted in). */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket) {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket) {
    this.track(client);
    client.on("error", () => client.destroy());
    const candidates = this.roundRobin.order(this.route.endpoints);
    if (candidates.length === 0) {
      this.refused += 1;
      this.log("no ready endpoint; connection closed", { service: this.route.service, port: this.route.hostPort });
      client.destroy();
      return;
    }
    this.dial(client, candidates, 0, []);
  }

  private dial(client: net.Socket, candidates: Endpoint[], index: number, failures: string[]) {
    if (client.destroyed) return;
    const endpoint = candidates[index];
    if (!endpoint) {
      this.refused += 1;
      this.log("every endpoint refused the connection", { service: this.route.service, failures });
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: endpoint.address, port: endpoint.port, allowHalfOpen: true });
    this.track(upstream);
    const timer = setTimeout(() => upstream.destroy(new Error(`no answer within ${DIAL_TIMEOUT_MS} ms`)), DIAL_TIMEOUT_MS);
    const onDialError = (error: Error) => {
      clearTimeout(timer);
      upstream.destroy();
      this.dial(client, candidates, index + 1, [...failures, `${endpoint.address}:${endpoint.port} (${endpoint.pod ?? "?"}): ${error.message}`]);
    };
    upstream.once("error", onDialError);
    upstream.once("connect", () => {
      clearTimeout(timer);
      upstream.off("error", onDialError);
      const key = `${endpoint.address}:${endpoint.port}`;
      this.forwarded.set(key, (this.forwarded.get(key) ?? 0) + 1);
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      // A clean end travels through the pipes (half-close, pending bytes flushed); a reset cuts both.
      upstream.once("close", (hadError) => hadError && client.destroy());
      client.once("close", (hadError) => hadError && upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
