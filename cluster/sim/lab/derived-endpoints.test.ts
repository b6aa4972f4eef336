import { describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { deriveEndpointSlice } from "./derived-endpoints.ts";

const service: k8s.V1Service = {
  metadata: { name: "queue-manager-stable", namespace: "streamforge" },
  // Argo adds the stable hash to the stable Service's selector.
  spec: { selector: { app: "queue-manager", "rollouts-pod-template-hash": "stable1" }, ports: [{ name: "http", port: 8080, targetPort: "http" as never }] },
};

function pod(name: string, hash: string, ready: boolean, deleting = false): k8s.V1Pod {
  return {
    metadata: { name, namespace: "streamforge", labels: { app: "queue-manager", "rollouts-pod-template-hash": hash }, deletionTimestamp: deleting ? new Date() : undefined },
    spec: { containers: [{ name: "qm", ports: [{ name: "http", containerPort: 8080 }] }] },
    status: { phase: "Running", podIP: `127.10.0.${name.length}`, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

describe("deriveEndpointSlice", () => {
  it("holds what the EndpointSlice controller would: the selector's pods with their conditions, named by targetRef", () => {
    const slice = deriveEndpointSlice(service, [pod("s-1", "stable1", true), pod("canary-1", "canary2", true), pod("s-22", "stable1", false, true)]);
    expect(slice.metadata.annotations).toHaveProperty(["chaoslab.streamforge.io/derived-endpoints"]);
    expect(slice.endpoints).toEqual([
      { addresses: ["127.10.0.3"], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: "Pod", name: "s-1", namespace: "streamforge" } },
      { addresses: ["127.10.0.4"], conditions: { ready: false, serving: false, terminating: true }, targetRef: { kind: "Pod", name: "s-22", namespace: "streamforge" } },
    ]);
  });
});
