/**
 * The real HTTP adapter against a local HTTP server standing in for the API server: what goes over
 * the wire is what the API server will act on (method, path, query, headers, body).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpKubeApi, jobListWatch } from "./kube-api.ts";
import { HttpKubeTransport, isAlreadyExists, isConflict, isGone, KubeApiError } from "./kube-client.ts";
import { deleteOptionsFor } from "../remediation/replacement-spec.ts";

interface Seen {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let seen: Seen[] = [];
let respond: (request: Seen, response: http.ServerResponse) => void = (_request, response) => response.end("{}");
let api: HttpKubeApi;
let transport: HttpKubeTransport;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      const entry = { method: request.method ?? "", url: new URL(request.url ?? "/", "http://x"), headers: request.headers, body };
      seen.push(entry);
      respond(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "healer", token: "s3cret-token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "healer" }],
    currentContext: "fake",
  });
  transport = new HttpKubeTransport(kubeConfig, 2_000);
  api = new HttpKubeApi(transport);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  respond = (_request, response) => response.end("{}");
});

function status(response: http.ServerResponse, code: number, reason: string, message: string) {
  response.writeHead(code, { "Content-Type": "application/json" });
  response.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message }));
}

describe("HttpKubeApi", () => {
  it("deletes a Job with propagationPolicy and preconditions.uid in the BODY, and no query parameters", async () => {
    await api.deleteJob("streamforge", "loader-1", deleteOptionsFor("uid-123"));
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe("DELETE");
    expect(request!.url.pathname).toBe("/apis/batch/v1/namespaces/streamforge/jobs/loader-1");
    expect([...request!.url.searchParams.keys()]).toEqual([]);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers.authorization).toBe("Bearer s3cret-token");
    expect(JSON.parse(request!.body)).toEqual({
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
      preconditions: { uid: "uid-123" },
    });
  });

  it("surfaces a failed UID precondition as a 409 Conflict", async () => {
    respond = (_request, response) => status(response, 409, "Conflict", "Precondition failed: UID in precondition: a, UID in object meta: b");
    const error = await api.deleteJob("streamforge", "loader-1", deleteOptionsFor("a")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(isConflict(error)).toBe(true);
    expect(isAlreadyExists(error)).toBe(false);
    expect((error as Error).message).toContain("Precondition failed");
  });

  it("creates with POST and tells AlreadyExists apart from other conflicts", async () => {
    respond = (_request, response) => status(response, 409, "AlreadyExists", 'jobs.batch "loader-1-r1" already exists');
    const error = await api.createJob("streamforge", { metadata: { name: "loader-1-r1" } }).catch((caught: unknown) => caught);
    expect(isAlreadyExists(error)).toBe(true);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.url.pathname).toBe("/apis/batch/v1/namespaces/streamforge/jobs");
  });

  it("patches with the merge-patch content type", async () => {
    respond = (_request, response) => response.end(JSON.stringify({ metadata: { name: "loader-1-r1" } }));
    await api.patchJob("streamforge", "loader-1-r1", { spec: { suspend: false } });
    expect(seen[0]!.method).toBe("PATCH");
    expect(seen[0]!.headers["content-type"]).toBe("application/merge-patch+json");
    expect(JSON.parse(seen[0]!.body)).toEqual({ spec: { suspend: false } });
  });

  it("reads a missing Job as undefined", async () => {
    respond = (_request, response) => status(response, 404, "NotFound", "not found");
    expect(await api.readJob("streamforge", "nope")).toBeUndefined();
  });

  it("lists in pages and keeps the first page's resourceVersion", async () => {
    respond = (request, response) => {
      const token = request.url.searchParams.get("continue");
      response.end(
        JSON.stringify(
          token
            ? { metadata: { resourceVersion: "999" }, items: [{ metadata: { name: "b" } }] }
            : { metadata: { resourceVersion: "100", continue: "page-2" }, items: [{ metadata: { name: "a" } }] },
        ),
      );
    };
    const result = await jobListWatch(transport).list("streamforge", "healer.streamforge.io/managed=true");
    expect(result).toEqual({ items: [{ metadata: { name: "a" } }, { metadata: { name: "b" } }], resourceVersion: "100" });
    expect(seen.map((request) => request.url.searchParams.get("labelSelector"))).toEqual([
      "healer.streamforge.io/managed=true",
      "healer.streamforge.io/managed=true",
    ]);
    expect(seen[0]!.url.searchParams.get("limit")).toBe("500");
  });

  it("watches with bookmarks, the resourceVersion and a server-side timeout, line by line", async () => {
    respond = (_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write(JSON.stringify({ type: "ADDED", object: { metadata: { name: "a", resourceVersion: "5" } } }) + "\n");
      response.write('{"type":"MODIFIED","object":{"metadata":{"na');
      response.end('me":"a","resourceVersion":"6"}}}\n' + JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "7" } } }) + "\n");
    };
    const events: string[] = [];
    await jobListWatch(transport).watch(
      "streamforge",
      { labelSelector: "x=y", resourceVersion: "4", timeoutSeconds: 60 },
      (type, object) => events.push(`${type}:${(object as { metadata: { resourceVersion: string } }).metadata.resourceVersion}`),
      new AbortController().signal,
    );
    expect(events).toEqual(["ADDED:5", "MODIFIED:6", "BOOKMARK:7"]);
    const query = seen[0]!.url.searchParams;
    expect(Object.fromEntries(query)).toEqual({ watch: "true", labelSelector: "x=y", resourceVersion: "4", timeoutSeconds: "60", allowWatchBookmarks: "true" });
  });

  it("reports a 410 on watch as Gone (relist)", async () => {
    respond = (_request, response) => status(response, 410, "Expired", "too old resource version");
    const error = await jobListWatch(transport)
      .watch("streamforge", { resourceVersion: "1", timeoutSeconds: 5 }, () => undefined, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect(isGone(error)).toBe(true);
  });

  it("an aborted watch ends quietly", async () => {
    respond = (_request, response) => {
      response.writeHead(200);
      response.write(JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } }) + "\n");
    };
    const controller = new AbortController();
    const watching = jobListWatch(transport).watch("streamforge", { resourceVersion: "", timeoutSeconds: 5 }, () => controller.abort(), controller.signal);
    await expect(watching).resolves.toBeUndefined();
  });

  it("times out a request that never answers", async () => {
    respond = () => undefined;
    const error = await api.readJob("streamforge", "slow").catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/timed out after 2000ms/);
  });
});
