/**
 * A small raw-JSON transport to the Kubernetes API. client-node's KubeConfig does the hard part
 * (kubeconfig / in-cluster service account, TLS, exec and token-file auth, proxies); requests and
 * watches are plain HTTP here so that:
 *  - objects are read and written as the server sent them (client-node's generated models drop
 *    unknown fields, which would silently strip newer fields from a replacement Job's pod template);
 *  - DELETE bodies are exactly what we put in them;
 *  - every failure is one error type with the HTTP code and the API's `reason`.
 */
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    /** The API Status `reason` (NotFound, AlreadyExists, Conflict, Expired, Gone, ...). */
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 404;
}

/** 409 on create: the name is taken. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409 && error.reason === "AlreadyExists";
}

/** 409 on update/delete: stale resourceVersion or a failed precondition (e.g. UID). */
export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.code === 409 && error.reason !== "AlreadyExists";
}

/** 410: the resourceVersion a watch resumed from is too old; relist. */
export function isGone(error: unknown): boolean {
  return error instanceof KubeApiError && (error.code === 410 || error.reason === "Expired" || error.reason === "Gone");
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

export interface KubeTransport {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** GET a streaming endpoint (watch); calls `onLine` per line; resolves when the server ends the stream or `signal` aborts. */
  stream(path: string, query: RequestOptions["query"], onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
}

function apiErrorFrom(status: number, text: string, method: string, path: string): KubeApiError {
  let reason: string | undefined;
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason;
    message = parsed.message ?? message;
  } catch {
    // Not a Status object (a proxy's HTML, say): keep the raw text.
  }
  return new KubeApiError(status, reason, `${method} ${path}: HTTP ${status}${reason ? ` ${reason}` : ""}: ${message}`);
}

export class HttpKubeTransport implements KubeTransport {
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly requestTimeoutMs: number,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const signal = AbortSignal.timeout(this.requestTimeoutMs);
    const { status, text } = await this.send(method, path, options, signal, undefined);
    if (status >= 400) throw apiErrorFrom(status, text, method, path);
    return (text.length > 0 ? JSON.parse(text) : undefined) as T;
  }

  async stream(path: string, query: RequestOptions["query"], onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    const { status, text } = await this.send("GET", path, { query }, signal, onLine);
    if (status >= 400) throw apiErrorFrom(status, text, "WATCH", path);
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    signal: AbortSignal,
    onLine: ((line: string) => void) | undefined,
  ): Promise<{ status: number; text: string }> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster: set KUBECONFIG or run in a pod with a service account");
    const httpsOptions: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(httpsOptions);
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { Accept: "application/json" };
    for (const [key, value] of Object.entries(httpsOptions.headers ?? {})) {
      if (typeof value === "string" || typeof value === "number") headers[key] = String(value);
    }
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers["Content-Type"] = options.contentType ?? "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        { method, headers, agent: httpsOptions.agent, auth: httpsOptions.auth, signal },
        (response) => {
          const status = response.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let pending = "";
          response.on("data", (chunk: Buffer) => {
            if (onLine && status === 200) {
              pending += chunk.toString("utf8");
              let newline = pending.indexOf("\n");
              while (newline >= 0) {
                const line = pending.slice(0, newline).trim();
                pending = pending.slice(newline + 1);
                if (line.length > 0) onLine(line);
                newline = pending.indexOf("\n");
              }
            } else {
              chunks.push(chunk);
            }
          });
          response.on("end", () => {
            if (onLine && status === 200 && pending.trim().length > 0) onLine(pending.trim());
            resolve({ status, text: Buffer.concat(chunks).toString("utf8") });
          });
          response.on("error", (error) => (signal.aborted && onLine ? resolve({ status, text: "" }) : reject(error)));
          response.on("aborted", () => (signal.aborted && onLine ? resolve({ status, text: "" }) : reject(new Error(`${method} ${path}: response aborted`))));
        },
      );
      request.on("error", (error) => {
        // A watch we aborted ourselves ended normally; a request that timed out did not.
        if (signal.aborted && onLine) resolve({ status: 200, text: "" });
        else reject(signal.aborted ? new Error(`${method} ${path}: timed out after ${this.requestTimeoutMs}ms`) : error);
      });
      if (payload) request.write(payload);
      request.end();
    });
  }
}
