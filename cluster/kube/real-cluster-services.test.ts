import { describe, expect, it } from "vitest";
import { realClusterServices } from "./real-cluster-services.ts";

describe("Services of a real cluster (kind, existing)", () => {
  it("applies copies in another namespace as they are: cluster DNS and the API server's proxy tell them apart by namespace", async () => {
    const copy = { kind: "Service", metadata: { name: "queue-manager", annotations: { "chaoslab.streamforge.io/sim-host-port": "32500" } } };
    const applied: unknown[] = [];
    const result = await realClusterServices("/nonexistent/kubeconfig").applyCopies([copy], "e90f", async (placed) => (applied.push(...placed), "done"));
    expect(result).toBe("done");
    expect(applied).toEqual([copy]);
  });
});
