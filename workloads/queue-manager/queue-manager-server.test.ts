import http from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { podStatsSchema } from "./pod-stats.ts";
import { readQueueManagerConfig } from "./queue-manager-config.ts";
import { POD_HEADER, startQueueManager, VERSION_HEADER, type StartedQueueManager } from "./queue-manager-server.ts";

const logger = pino({ level: "silent" });
const started: StartedQueueManager[] = [];

async function start(env: Record<string, string>): Promise<StartedQueueManager> {
  const queueManager = await startQueueManager(
    readQueueManagerConfig({ LISTEN_HOST: "127.0.0.1", PORT: "0", POD_NAME: "qm-6f4d8b7c9-x2x9k", POD_TEMPLATE_HASH: "6f4d8b7c9", ...env }),
    { logger },
  );
  started.push(queueManager);
  return queueManager;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((queueManager) => queueManager.shutdown()));
});

async function enqueueTimes(url: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const response = await fetch(`${url}/enqueue`, { method: "POST", body: JSON.stringify({ taskId: `t-${i}` }) });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

describe("queue-manager service", () => {
  it("answers /enqueue with 200 and names its version and pod", async () => {
    const queueManager = await start({ IMAGE_TAG: "v2-good" });
    const response = await fetch(`${queueManager.url}/enqueue`, { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    expect(response.headers.get(VERSION_HEADER)).toBe("v2-good");
    expect(response.headers.get(POD_HEADER)).toBe("qm-6f4d8b7c9-x2x9k");
    expect(await response.json()).toEqual({ accepted: true, version: "v2-good" });
  });

  it("fails deterministically per ERROR_RATE, and /stats counts it per pod", async () => {
    const queueManager = await start({ IMAGE_TAG: "v2", ERROR_RATE: "0.25" });
    expect(await enqueueTimes(queueManager.url, 8)).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
    const stats = podStatsSchema.parse(await (await fetch(`${queueManager.url}/stats`)).json());
    expect(stats).toMatchObject({
      version: "v2",
      pod: "qm-6f4d8b7c9-x2x9k",
      podTemplateHash: "6f4d8b7c9",
      requests: 8,
      errors: 2,
      errorRate: 0.25,
    });
  });

  it("a -bad version answers with errors above the 5% threshold without any ERROR_RATE", async () => {
    const queueManager = await start({ IMAGE_TAG: "v2-bad" });
    const statuses = await enqueueTimes(queueManager.url, 20);
    expect(statuses.filter((status) => status === 500).length / statuses.length).toBeGreaterThan(0.05);
  });

  it("reports no data as errorRate null, not 0", async () => {
    const queueManager = await start({});
    expect(await (await fetch(`${queueManager.url}/stats`)).json()).toMatchObject({ requests: 0, errors: 0, errorRate: null });
  });

  it("does not count probes, other methods or unknown routes as business requests", async () => {
    const queueManager = await start({ ERROR_RATE: "1" });
    expect((await fetch(`${queueManager.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${queueManager.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${queueManager.url}/enqueue`)).status).toBe(405);
    expect((await fetch(`${queueManager.url}/nope`)).status).toBe(404);
    expect(queueManager.stats()).toMatchObject({ requests: 0, errors: 0 });
  });

  it("exposes the same numbers as Prometheus text on /metrics", async () => {
    const queueManager = await start({ IMAGE_TAG: "v2-bad", ERROR_RATE: "0.5" });
    await enqueueTimes(queueManager.url, 4);
    const response = await fetch(`${queueManager.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('queue_manager_enqueue_requests_total{code="200"} 2');
    expect(text).toContain('queue_manager_enqueue_requests_total{code="500"} 2');
    expect(text).toContain('queue_manager_info{version="v2-bad",pod_template_hash="6f4d8b7c9"} 1');
    expect(text).toContain("queue_manager_configured_error_rate 0.5");
  });

  it("on shutdown stops being ready, finishes the in-flight request, then closes", async () => {
    const queueManager = await start({});
    // An /enqueue whose body is still arriving when shutdown starts.
    const inFlight = new Promise<number>((resolve, reject) => {
      const request = http.request(`${queueManager.url}/enqueue`, { method: "POST" }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      });
      request.on("error", reject);
      request.write("{");
      setTimeout(() => request.end("}"), 100);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = queueManager.shutdown();
    expect(await inFlight).toBe(200);
    await closed;
    await expect(fetch(`${queueManager.url}/healthz`)).rejects.toThrow();
  });
});
