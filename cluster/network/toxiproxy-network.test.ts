import { describe, expect, it } from "vitest";
import { ToxiproxyNetworkHandles, toxicBody } from "./toxiproxy-network.ts";

interface Request {
  method: string;
  url: string;
  body?: unknown;
}

/** An in-memory Toxiproxy API: proxies kafka-broker-1..3, toxics by name, 409 on duplicates. */
function fakeToxiproxy(options: { failOn?: string; lanes?: number[] } = {}) {
  const requests: Request[] = [];
  const names = [1, 2, 3].flatMap((id) => [`kafka-broker-${id}`, ...(options.lanes ?? []).map((lane) => `kafka-broker-${id}-lane-${lane}`)]);
  const toxics = new Map<string, Map<string, unknown>>(names.map((name) => [name, new Map()]));
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? "GET";
    const body = init?.body ? (JSON.parse(String(init.body)) as { name: string }) : undefined;
    requests.push({ method, url, body });
    const path = new URL(url).pathname.split("/").filter(Boolean);
    if (method === "GET" && path.length === 1) {
      return Response.json(Object.fromEntries([...toxics].map(([name, list]) => [name, { name, toxics: [...list.values()] }])));
    }
    const proxy = toxics.get(path[1]!);
    if (!proxy) return new Response("proxy not found", { status: 404 });
    if (options.failOn === path[1]) return new Response("boom", { status: 500 });
    if (method === "POST") {
      if (proxy.has(body!.name)) return new Response("toxic already exists", { status: 409 });
      proxy.set(body!.name, body);
      return Response.json(body);
    }
    if (method === "DELETE") {
      return proxy.delete(decodeURIComponent(path[3]!)) ? new Response(null, { status: 204 }) : new Response("toxic not found", { status: 404 });
    }
    return new Response("unexpected", { status: 400 });
  }) as typeof fetch;
  return { fetchImpl, requests, toxics };
}

const proxyNames = new Map([1, 2, 3].map((id) => [id, `kafka-broker-${id}`]));
const API = "http://127.0.0.1:30474";
const noPaths = async () => [];

describe("Toxiproxy network handles", () => {
  it("adds a latency toxic on each targeted broker's proxy, in the given direction", async () => {
    const api = fakeToxiproxy();
    const handles = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
    const refs = await handles.addToxic([1, 3], "net-latency-1", { kind: "latency", latencyMs: 200, jitterMs: 20, direction: "downstream" });
    expect(refs).toEqual([
      { nodeId: 1, name: "net-latency-1" },
      { nodeId: 3, name: "net-latency-1" },
    ]);
    expect(api.requests).toEqual([
      { method: "POST", url: `${API}/proxies/kafka-broker-1/toxics`, body: { name: "net-latency-1", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 200, jitter: 20 } } },
      { method: "POST", url: `${API}/proxies/kafka-broker-3/toxics`, body: { name: "net-latency-1", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 200, jitter: 20 } } },
    ]);
    expect(await handles.listToxics()).toEqual(refs);
  });

  it("is all or nothing: when one broker fails, the toxics already added are removed", async () => {
    const api = fakeToxiproxy({ failOn: "kafka-broker-2" });
    const handles = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
    await expect(handles.addToxic([1, 2], "t", { kind: "latency", latencyMs: 100, jitterMs: 0, direction: "upstream" })).rejects.toThrow(
      `add latency toxic "t" to proxy kafka-broker-2: POST ${API}/proxies/kafka-broker-2/toxics answered 500: boom.`,
    );
    expect(await handles.listToxics()).toEqual([]);
  });

  it("removal is idempotent (a revert journal may replay it)", async () => {
    const api = fakeToxiproxy();
    const handles = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
    const [ref] = await handles.addToxic([2], "t", { kind: "latency", latencyMs: 100, jitterMs: 0, direction: "upstream" });
    await handles.removeToxic(ref!);
    await handles.removeToxic(ref!);
    expect(api.requests.filter((request) => request.method === "DELETE").map((request) => request.url)).toEqual([
      `${API}/proxies/kafka-broker-2/toxics/t`,
      `${API}/proxies/kafka-broker-2/toxics/t`,
    ]);
  });

  it("carries every toxic kind with Toxiproxy's type names and attribute units", () => {
    expect(toxicBody("b", { kind: "bandwidth", direction: "upstream", rateKBps: 64 })).toEqual({ name: "b", stream: "upstream", type: "bandwidth", attributes: { rate: 64 } });
    expect(toxicBody("t", { kind: "timeout", direction: "downstream", timeoutMs: 0 })).toEqual({ name: "t", stream: "downstream", type: "timeout", attributes: { timeout: 0 } });
    expect(toxicBody("r", { kind: "reset-peer", direction: "upstream", timeoutMs: 10 })).toEqual({ name: "r", stream: "upstream", type: "reset_peer", attributes: { timeout: 10 } });
    expect(toxicBody("l", { kind: "limit-data", direction: "upstream", bytes: 4096 })).toEqual({ name: "l", stream: "upstream", type: "limit_data", attributes: { bytes: 4096 } });
    expect(toxicBody("s", { kind: "slicer", direction: "downstream", averageSizeBytes: 64, sizeVariationBytes: 8, delayUs: 100 })).toEqual({
      name: "s",
      stream: "downstream",
      type: "slicer",
      attributes: { average_size: 64, size_variation: 8, delay: 100 },
    });
  });

  it("passes a toxicity (the share of connections the toxic acts on) to Toxiproxy, and leaves its default of 1 otherwise", async () => {
    expect(toxicBody("p", { kind: "timeout", direction: "downstream", timeoutMs: 0, toxicity: 0.3 })).toEqual({ name: "p", stream: "downstream", toxicity: 0.3, type: "timeout", attributes: { timeout: 0 } });
    const api = fakeToxiproxy();
    const handles = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
    await handles.addToxic([1], "p", { kind: "timeout", direction: "downstream", timeoutMs: 0, toxicity: 0.3 });
    await handles.addToxic([1], "q", { kind: "timeout", direction: "downstream", timeoutMs: 0 });
    expect(api.requests.filter((request) => request.method === "POST").map((request) => (request.body as unknown as { toxicity: number }).toxicity)).toEqual([0.3, 1]);
  });

  it("explains a duplicate toxic, an unknown broker and an API that does not answer", async () => {
    const api = fakeToxiproxy();
    const handles = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
    await handles.addToxic([1], "t", { kind: "latency", latencyMs: 1, jitterMs: 0, direction: "upstream" });
    await expect(handles.addToxic([1], "t", { kind: "latency", latencyMs: 1, jitterMs: 0, direction: "upstream" })).rejects.toThrow(/answered 409: toxic already exists\. What to do: .*revert the previous fault first/);
    await expect(handles.addToxic([9], "t", { kind: "latency", latencyMs: 1, jitterMs: 0, direction: "upstream" })).rejects.toThrow(
      "no Toxiproxy proxy for broker 9; proxies exist for brokers 1, 2, 3. What to do: target one of those node ids.",
    );
    const down = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch);
    await expect(down.listToxics()).rejects.toThrow(`list Toxiproxy proxies: Toxiproxy API ${API}/proxies did not answer (fetch failed).`);
  });

  describe("Kafka lanes", () => {
    const LANES = [1, 2];
    const lanes = {
      lanes: LANES,
      proxyNames: (lane: number) => new Map([1, 2, 3].map((id) => [id, `kafka-broker-${id}-lane-${lane}`])),
      paths: async (lane: number) => [{ nodeId: 1, workloads: { host: "127.0.0.1", port: 1000 + lane }, direct: { host: "127.0.0.1", port: 999 } }],
    };
    const latency = { kind: "latency", latencyMs: 200, jitterMs: 0, direction: "downstream" } as const;

    it("handles on a lane add, list and remove toxics on that lane's proxies only, and give its paths", async () => {
      const api = fakeToxiproxy({ lanes: LANES });
      const shared = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl, lanes);
      expect(shared.lanes).toEqual([1, 2]);
      const lane2 = shared.onLane(2);
      expect(lane2.lane).toBe(2);
      expect(lane2.lanes).toBeUndefined();
      const refs = await lane2.addToxic([1, 3], "slow", latency);
      expect(refs).toEqual([
        { nodeId: 1, name: "slow", lane: 2 },
        { nodeId: 3, name: "slow", lane: 2 },
      ]);
      expect(api.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        `POST ${API}/proxies/kafka-broker-1-lane-2/toxics`,
        `POST ${API}/proxies/kafka-broker-3-lane-2/toxics`,
      ]);
      expect(await lane2.brokerPaths()).toEqual([{ nodeId: 1, workloads: { host: "127.0.0.1", port: 1002 }, direct: { host: "127.0.0.1", port: 999 } }]);
      // Another run's toxic on the shared path or on lane 1 is not this lane's (its audit must not see it).
      await shared.addToxic([2], "other-shared", latency);
      await shared.onLane(1).addToxic([2], "other-lane", latency);
      expect(await lane2.listToxics()).toEqual(refs);
      expect(await shared.onLane(1).listToxics()).toEqual([{ nodeId: 2, name: "other-lane", lane: 1 }]);
      // The lab-wide handles (`chaoslab cleanup`, a run alone) see every lane's, each with its lane.
      expect(await shared.listToxics()).toEqual(expect.arrayContaining([...refs, { nodeId: 2, name: "other-shared" }, { nodeId: 2, name: "other-lane", lane: 1 }]));
      expect(await shared.listToxics()).toHaveLength(4);
      // ...and remove one by its ref alone, lane included (a journal replayed in a fresh process).
      await shared.removeToxic({ nodeId: 3, name: "slow", lane: 2 });
      expect(await lane2.listToxics()).toEqual([{ nodeId: 1, name: "slow", lane: 2 }]);
      await lane2.removeToxic({ nodeId: 1, name: "slow", lane: 2 });
      expect(api.toxics.get("kafka-broker-1-lane-2")!.size).toBe(0);
    });

    it("refuses a lane the lab does not have, and handles without lanes have none", async () => {
      const api = fakeToxiproxy({ lanes: LANES });
      expect(() => new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl, lanes).onLane(3)).toThrow("no Kafka lane 3 here (lanes: 1, 2)");
      expect(() => new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl, lanes).onLane(1).onLane!(2)).toThrow("already on lane 1");
      const plain = new ToxiproxyNetworkHandles(API, proxyNames, noPaths, api.fetchImpl);
      expect(plain.lanes).toBeUndefined();
      expect(() => plain.onLane(1)).toThrow("no Kafka lane 1 here (lanes: none)");
      await expect(plain.removeToxic({ nodeId: 1, name: "x", lane: 1 })).rejects.toThrow("no Kafka lane 1 on this lab");
    });
  });
});
