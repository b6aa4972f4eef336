import { describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { simHostPort } from "../layout.ts";
import { desiredRoutes, parseSimHostPort, podEndpoints, readyEndpoints, RoundRobin, SIM_HOST_PORT_ANNOTATION } from "./routes.ts";

function service(name: string, port: string | undefined, options: { created?: string; ports?: k8s.V1ServicePort[]; type?: string; app?: string } = {}): k8s.V1Service {
  return {
    metadata: {
      name,
      namespace: "streamforge",
      creationTimestamp: new Date(options.created ?? "2026-01-01T00:00:00Z"),
      annotations: port === undefined ? {} : { [SIM_HOST_PORT_ANNOTATION]: port },
    },
    spec: { type: options.type, selector: { app: options.app ?? name }, ports: options.ports ?? [{ name: "http", port: 8080, targetPort: "http" as unknown as k8s.IntOrString }] },
  };
}

type PodSpec = { ip?: string; name: string; app?: string; ready?: boolean; deleting?: boolean; phase?: string; restartPolicy?: string; namespace?: string };

function pod(spec: PodSpec): k8s.V1Pod {
  return {
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? "streamforge",
      labels: { app: spec.app ?? "qm" },
      deletionTimestamp: spec.deleting ? new Date("2026-01-01T00:00:00Z") : undefined,
    },
    spec: { restartPolicy: spec.restartPolicy, containers: [{ name: "c", ports: [{ name: "metrics", containerPort: 9090 }, { name: "http", containerPort: 18080 }] }] },
    status: {
      phase: spec.phase ?? "Running",
      podIP: spec.ip,
      conditions: [{ type: "Ready", status: spec.ready === false ? "False" : "True" }],
    },
  };
}

describe("parseSimHostPort", () => {
  it("accepts ports of the sim's service range only, and says why otherwise", () => {
    expect(parseSimHostPort(service("a", undefined))).toBeUndefined();
    expect(parseSimHostPort(service("a", "32500"))).toEqual({ port: 32500 });
    expect(parseSimHostPort(service("a", " 32599 "))).toEqual({ port: 32599 });
    expect(parseSimHostPort(service("a", "8080"))).toEqual({ error: expect.stringContaining("expected a port in 32500–32599") });
    expect(parseSimHostPort(service("a", "32500x"))).toEqual({ error: expect.stringContaining('found "32500x"') });
  });
});

describe("podEndpoints / readyEndpoints", () => {
  const qm = service("qm", "32500", { app: "qm" });
  const port = qm.spec!.ports![0]!;

  it("selects the Service's pods as the EndpointSlice controller does: selector, namespace, a pod IP, not finished", () => {
    const pods = [
      pod({ name: "qm-9", ip: "127.10.0.9" }),
      pod({ name: "qm-2", ip: "127.10.0.2" }),
      pod({ name: "no-ip" }),
      pod({ name: "other-app", ip: "127.10.0.5", app: "x" }),
      pod({ name: "other-ns", ip: "127.10.0.6", namespace: "kafka" }),
      pod({ name: "done", ip: "127.10.0.7", phase: "Succeeded", restartPolicy: "Never" }),
    ];
    expect(podEndpoints(qm, port, pods).map((endpoint) => endpoint.pod)).toEqual(["qm-2", "qm-9"]);
  });

  it("marks not-ready and terminating pods, and forwards only to ready ones", () => {
    const pods = [pod({ name: "ready", ip: "127.10.0.2" }), pod({ name: "unready", ip: "127.10.0.3", ready: false }), pod({ name: "going", ip: "127.10.0.4", deleting: true })];
    expect(podEndpoints(qm, port, pods)).toEqual([
      { address: "127.10.0.2", port: 18080, pod: "ready", ready: true, serving: true, terminating: false },
      { address: "127.10.0.3", port: 18080, pod: "unready", ready: false, serving: false, terminating: false },
      { address: "127.10.0.4", port: 18080, pod: "going", ready: false, serving: true, terminating: true },
    ]);
    expect(readyEndpoints(qm, port, pods)).toEqual([{ address: "127.10.0.2", port: 18080, pod: "ready" }]);
  });

  it("resolves a named target port per pod, takes a numeric one as is, and skips pods without the named port", () => {
    const numeric = { name: "http", port: 80, targetPort: 7000 as unknown as k8s.IntOrString };
    expect(readyEndpoints(qm, numeric, [pod({ name: "a", ip: "127.10.0.2" })])).toEqual([{ address: "127.10.0.2", port: 7000, pod: "a" }]);
    const missing = { name: "grpc", port: 80, targetPort: "grpc" as unknown as k8s.IntOrString };
    expect(readyEndpoints(qm, missing, [pod({ name: "a", ip: "127.10.0.2" })])).toEqual([]);
  });

  it("has no endpoints without a selector (such Services are not managed by the controller)", () => {
    const bare = { ...qm, spec: { ...qm.spec, selector: undefined } };
    expect(readyEndpoints(bare, port, [pod({ name: "a", ip: "127.10.0.2" })])).toEqual([]);
  });
});

describe("desiredRoutes", () => {
  it("routes opted-in Services to their own slices' ready endpoints and ignores the rest", () => {
    const { routes, problems } = desiredRoutes(
      [service("qm", "32500"), service("other", undefined), service("metrics", "32501")],
      [pod({ name: "qm-2", ip: "127.10.0.2", app: "qm" }), pod({ name: "o", ip: "127.10.0.7", app: "other" })],
    );
    expect(problems).toEqual([]);
    // Routes listen on the annotated port shifted by the lab's slot (0 unless CHAOSLAB_LAB_SLOT is set).
    expect([...routes.keys()].sort()).toEqual([simHostPort(32500), simHostPort(32501)]);
    expect(routes.get(simHostPort(32500))).toEqual({ service: "streamforge/qm", hostPort: simHostPort(32500), servicePort: { name: "http", port: 8080 }, endpoints: [{ address: "127.10.0.2", port: 18080, pod: "qm-2" }] });
    // Forwarded with no endpoint yet: connections are refused until a pod is Ready.
    expect(routes.get(simHostPort(32501))!.endpoints).toEqual([]);
  });

  it("gives a contested port to the older Service and reports the other", () => {
    const { routes, problems } = desiredRoutes([service("young", "32500", { created: "2026-02-01T00:00:00Z" }), service("old", "32500", { created: "2026-01-01T00:00:00Z" })], []);
    expect(routes.get(simHostPort(32500))!.service).toBe("streamforge/old");
    expect(problems).toEqual([{ service: "streamforge/young", message: expect.stringContaining("already taken by Service streamforge/old") }]);
  });

  it("reports unusable opt-ins instead of guessing", () => {
    const { routes, problems } = desiredRoutes([service("bad", "80"), service("ext", "32502", { type: "ExternalName" }), service("noports", "32503", { ports: [] })], []);
    expect(routes.size).toBe(0);
    expect(problems.map((problem) => problem.service)).toEqual(["streamforge/bad", "streamforge/ext", "streamforge/noports"]);
  });
});

describe("RoundRobin", () => {
  const endpoints = ["a", "b", "c"].map((address) => ({ address, port: 1 }));

  it("starts each connection at the next endpoint and offers every endpoint once for dial retries", () => {
    const roundRobin = new RoundRobin();
    const firsts = Array.from({ length: 6 }, () => roundRobin.order(endpoints));
    expect(firsts.map((order) => order[0]!.address)).toEqual(["a", "b", "c", "a", "b", "c"]);
    expect(firsts[1]!.map((endpoint) => endpoint.address)).toEqual(["b", "c", "a"]);
  });

  it("keeps going when the list shrinks (a pod deleted) and is empty without endpoints", () => {
    const roundRobin = new RoundRobin();
    roundRobin.order(endpoints);
    roundRobin.order(endpoints);
    expect(roundRobin.order(endpoints.slice(0, 2)).map((endpoint) => endpoint.address)).toEqual(["a", "b"]);
    expect(roundRobin.order([])).toEqual([]);
  });
});
