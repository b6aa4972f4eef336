import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  kubernetesCanaryPodLister,
  startCanaryStatsAggregator,
  type CanaryPodRef,
  type StartedCanaryStatsAggregator,
} from "./canary-stats-aggregator.ts";
import type { CanaryStats } from "./pod-stats.ts";
import { readQueueManagerConfig } from "./queue-manager-config.ts";
import { startQueueManager, type StartedQueueManager } from "./queue-manager-server.ts";

const logger = pino({ level: "silent" });
const stoppables: { shutdown(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(stoppables.splice(0).map((stoppable) => stoppable.shutdown()));
});

async function pod(name: string, hash: string, env: Record<string, string>): Promise<StartedQueueManager> {
  const queueManager = await startQueueManager(
    readQueueManagerConfig({ LISTEN_HOST: "127.0.0.1", PORT: "0", POD_NAME: name, POD_TEMPLATE_HASH: hash, ...env }),
    { logger },
  );
  stoppables.push(queueManager);
  return queueManager;
}

async function aggregator(podsByHash: Record<string, CanaryPodRef[]>): Promise<StartedCanaryStatsAggregator> {
  const started = await startCanaryStatsAggregator({
    logger,
    listPods: async (hash) => podsByHash[hash] ?? [],
    statsTimeoutMs: 500,
  });
  stoppables.push(started);
  return started;
}

async function load(url: string, requests: number): Promise<void> {
  for (let i = 0; i < requests; i += 1) await (await fetch(`${url}/enqueue`, { method: "POST" })).arrayBuffer();
}

describe("canary-stats aggregator", () => {
  it("sums the pods of the requested hash only", async () => {
    const canaryA = await pod("qm-6f4d8b7c9-a", "6f4d8b7c9", { IMAGE_TAG: "v2-bad" });
    const canaryB = await pod("qm-6f4d8b7c9-b", "6f4d8b7c9", { IMAGE_TAG: "v2-bad" });
    const stable = await pod("qm-5b8c7d9f4-s", "5b8c7d9f4", { IMAGE_TAG: "v1" });
    await Promise.all([load(canaryA.url, 10), load(canaryB.url, 6), load(stable.url, 90)]);
    const started = await aggregator({
      "6f4d8b7c9": [
        { name: "qm-6f4d8b7c9-a", statsUrl: `${canaryA.url}/stats` },
        { name: "qm-6f4d8b7c9-b", statsUrl: `${canaryB.url}/stats` },
      ],
      "5b8c7d9f4": [{ name: "qm-5b8c7d9f4-s", statsUrl: `${stable.url}/stats` }],
    });
    const response = await fetch(`${started.url}/canary-stats/6f4d8b7c9`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as CanaryStats;
    expect(stats).toMatchObject({ podTemplateHash: "6f4d8b7c9", pods: 2, requests: 16, errors: 8, errorRate: 0.5, versions: ["v2-bad"] });
  });

  it("answers no data as a JSON object with errorRate null", async () => {
    const started = await aggregator({});
    const response = await fetch(`${started.url}/canary-stats/6f4d8b7c9`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ pods: 0, requests: 0, errorRate: null });
  });

  it("fails the measurement (non-2xx) when a canary pod cannot be measured", async () => {
    const canary = await pod("qm-6f4d8b7c9-a", "6f4d8b7c9", {});
    const started = await aggregator({
      "6f4d8b7c9": [
        { name: "qm-6f4d8b7c9-a", statsUrl: `${canary.url}/stats` },
        { name: "qm-6f4d8b7c9-gone", statsUrl: "http://127.0.0.1:1/stats" },
      ],
    });
    const response = await fetch(`${started.url}/canary-stats/6f4d8b7c9`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toMatch(/pod qm-6f4d8b7c9-gone: GET http:\/\/127.0.0.1:1\/stats failed/);
  });

  it("fails the measurement when a pod answers for another hash", async () => {
    const stable = await pod("qm-6f4d8b7c9-a", "5b8c7d9f4", {});
    const started = await aggregator({ "6f4d8b7c9": [{ name: "qm-6f4d8b7c9-a", statsUrl: `${stable.url}/stats` }] });
    expect((await fetch(`${started.url}/canary-stats/6f4d8b7c9`)).status).toBe(502);
  });

  it("fails the measurement when listing pods fails", async () => {
    const started = await startCanaryStatsAggregator({
      logger,
      listPods: async () => {
        throw new Error("pods is forbidden");
      },
    });
    stoppables.push(started);
    const response = await fetch(`${started.url}/canary-stats/6f4d8b7c9`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("pods is forbidden");
  });

  it("rejects a missing or malformed hash (an empty Argo arg) with 400", async () => {
    const started = await aggregator({});
    expect((await fetch(`${started.url}/canary-stats/`)).status).toBe(400);
    expect((await fetch(`${started.url}/canary-stats/a,b`)).status).toBe(400);
    expect((await fetch(`${started.url}/canary-stats`)).status).toBe(404);
  });
});

describe("kubernetesCanaryPodLister", () => {
  it("lists Running pods of the hash through the API and points at their /stats", async () => {
    const requests: string[] = [];
    const api = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      const pod = (name: string, phase: string, podIP?: string) => ({ metadata: { name }, status: { phase, podIP } });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          apiVersion: "v1",
          kind: "PodList",
          metadata: {},
          items: [pod("qm-6f4d8b7c9-a", "Running", "127.10.0.21"), pod("qm-6f4d8b7c9-b", "Pending"), pod("qm-6f4d8b7c9-c", "Succeeded", "127.10.0.23")],
        }),
      );
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    stoppables.push({ shutdown: () => new Promise<void>((resolve) => api.close(() => resolve())) });
    const kubeConfig = new KubeConfig();
    const { port } = api.address() as AddressInfo;
    kubeConfig.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "fake" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
      currentContext: "fake",
    });
    const listPods = await kubernetesCanaryPodLister({ kubeConfig, namespace: "streamforge", selector: "app=queue-manager", port: 8080 });
    expect(await listPods("6f4d8b7c9")).toEqual([{ name: "qm-6f4d8b7c9-a", statsUrl: "http://127.10.0.21:8080/stats" }]);
    expect(decodeURIComponent(requests[0] ?? "")).toBe("/api/v1/namespaces/streamforge/pods?labelSelector=app=queue-manager,rollouts-pod-template-hash=6f4d8b7c9");
  });
});
