/**
 * The sim's service proxy against the real lab: a Service in front of a process-run queue-manager
 * Deployment answers on its host port, spreads connections over the ready pods, and stops sending to a
 * pod once it is deleted. Needs the lab's `service-proxy` component (a lab started before it existed has
 * none: restart the lab, or run cluster/sim/service-proxy/main.ts by hand).
 */
import http from "node:http";
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../testing/eventually.ts";
import { labFixture, uniqueName } from "../../testing/lab-fixture.ts";
import { SIM_SERVICE_PORTS } from "../layout.ts";
import { SIM_HOST_PORT_ANNOTATION } from "./routes.ts";
import { fetchProxiedServices, simServiceUrl } from "./service-urls.ts";

const fixture = labFixture();
const namespace = "streamforge";
const name = uniqueName("proxy-qm");
const key = `${namespace}/${name}`;
// Ad-hoc range: two runs of this test at once rarely collide, and a collision is reported, not shared.
const annotatedPort = randomInt(SIM_SERVICE_PORTS.adHocFirst, SIM_SERVICE_PORTS.last + 1);

/** One POST per connection (the proxy balances connections, as kube-proxy does). */
function enqueue(url: string): Promise<{ status: number; pod: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/enqueue`, { method: "POST", agent: false, headers: { connection: "close", "content-type": "application/json" }, timeout: 5_000 }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, pod: String(response.headers["x-pod-name"] ?? "") }));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
    request.end("{}");
  });
}

async function readyPods(): Promise<string[]> {
  const pods = (await fixture.core.listNamespacedPod({ namespace, labelSelector: `app=${name}` })).items;
  return pods
    .filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"))
    .map((pod) => pod.metadata!.name!)
    .sort();
}

beforeAll(async () => {
  await fetchProxiedServices(); // fails with what to do when the lab runs no service proxy
  await fixture.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: { app: name } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: "queue-manager",
                image: "chaoslab/queue-manager:v1",
                ports: [{ name: "http", containerPort: 8080 }],
                env: [
                  { name: "LISTEN_HOST", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                  { name: "PORT", value: "8080" },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                ],
                readinessProbe: { httpGet: { path: "/readyz", port: "http" as never }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await fixture.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name, annotations: { [SIM_HOST_PORT_ANNOTATION]: String(annotatedPort) } },
      spec: { selector: { app: name }, ports: [{ name: "http", port: 8080, targetPort: "http" as never }] },
    },
  });
});

afterAll(async () => {
  await fixture.core.deleteNamespacedService({ namespace, name }).catch(() => undefined);
  await fixture.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: "Background" }).catch(() => undefined);
});

describe("the sim's service proxy", () => {
  it("forwards a Service's host port to its ready pods, round robin, and drops a deleted pod", async () => {
    const pods = await eventually("3 Ready pods", readyPods, (ready) => ready.length === 3, { timeoutMs: 120_000 });
    const url = await simServiceUrl(key, { ready: true, timeoutMs: 30_000 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await eventually("the proxy forwards to all 3 pods", fetchProxiedServices, (state) => state.services[key]?.endpoints.length === 3, { timeoutMs: 30_000 });

    const answers: { status: number; pod: string }[] = [];
    for (let i = 0; i < 12; i++) answers.push(await enqueue(url));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Round robin over 3 endpoints: 12 connections reach each pod exactly 4 times.
    const counts = Object.fromEntries(pods.map((pod) => [pod, answers.filter((answer) => answer.pod === pod).length]));
    expect(counts).toEqual(Object.fromEntries(pods.map((pod) => [pod, 4])));

    const victim = pods[0]!;
    await fixture.core.deleteNamespacedPod({ namespace, name: victim });
    // As soon as the pod is terminating it is no longer a ready endpoint (the proxy follows by watch).
    await eventually("the deleted pod is no longer an endpoint", fetchProxiedServices, (state) => !state.services[key]?.endpoints.some((endpoint) => endpoint.pod === victim), { timeoutMs: 30_000 });
    const after: { status: number; pod: string }[] = [];
    for (let i = 0; i < 12; i++) after.push(await enqueue(url));
    expect(after.map((answer) => answer.status)).toEqual(Array(12).fill(200));
    expect(after.filter((answer) => answer.pod === victim)).toEqual([]);
    expect(new Set(after.map((answer) => answer.pod)).size).toBeGreaterThanOrEqual(2);
  });

  it("reports a Service whose annotation is outside the sim's range instead of forwarding it", async () => {
    const bad = uniqueName("proxy-bad");
    await fixture.core.createNamespacedService({
      namespace,
      body: { metadata: { name: bad, annotations: { [SIM_HOST_PORT_ANNOTATION]: "8080" } }, spec: { selector: { app: name }, ports: [{ port: 8080 }] } },
    });
    try {
      const state = await eventually("the problem is reported", fetchProxiedServices, (current) => current.problems.some((problem) => problem.service === `${namespace}/${bad}`), { timeoutMs: 30_000 });
      expect(state.services[`${namespace}/${bad}`]).toBeUndefined();
      await expect(simServiceUrl(`${namespace}/${bad}`, { timeoutMs: 500 })).rejects.toThrow(/expected a port in 32500–32599/);
    } finally {
      await fixture.core.deleteNamespacedService({ namespace, name: bad }).catch(() => undefined);
    }
  });
});
