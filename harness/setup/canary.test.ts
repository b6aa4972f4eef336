import { describe, expect, it } from "vitest";
import { canarySetup, k6ThresholdLines, releasedRollout } from "./canary.ts";
import type { KubeObject } from "../core/ports.ts";

const rollout = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Rollout",
  metadata: { name: "queue-manager" },
  spec: {
    template: {
      spec: {
        containers: [{ name: "qm", image: "chaoslab/queue-manager:v1", env: [{ name: "PORT", value: "8080" }, { name: "ERROR_RATE", valueFrom: { configMapKeyRef: {} } }] }],
      },
    },
  },
} as unknown as KubeObject;

const containerOf = (object: KubeObject) => (object as unknown as { spec: { template: { spec: { containers: { image: string; env: unknown[] }[] } } } }).spec.template.spec.containers[0]!;

describe("canary setup", () => {
  it("revision N+1 changes only the first container's image and/or env, on a copy", () => {
    const bad = releasedRollout(rollout, { image: "chaoslab/queue-manager:v2-bad" });
    expect(containerOf(bad).image).toBe("chaoslab/queue-manager:v2-bad");
    expect(containerOf(rollout).image).toBe("chaoslab/queue-manager:v1");
    const env = releasedRollout(rollout, { env: { ERROR_RATE: "0.5", EXTRA: "1" } });
    expect(containerOf(env).env).toEqual([{ name: "PORT", value: "8080" }, { name: "ERROR_RATE", value: "0.5" }, { name: "EXTRA", value: "1" }]);
  });

  it("refuses a release that is no pod-template change", () => {
    expect(canarySetup.params.safeParse({ manifests: "m", release: {} }).success).toBe(false);
    expect(canarySetup.params.safeParse({ manifests: "m", release: { image: "x:v2" } }).success).toBe(true);
  });

  it("reads k6's thresholds and per-version counts from its summary", () => {
    const { ok, lines } = k6ThresholdLines({
      metrics: {
        http_reqs: { values: { count: 100 } },
        http_req_failed: { thresholds: { "rate<0.1": { ok: true } }, values: { rate: 0.04 } },
        "queue_manager_requests_by_version{version:v2-bad}": { thresholds: { "count>=0": { ok: true } }, values: { count: 10 } },
        http_req_duration: { thresholds: { "p(95)<500": { ok: false } }, values: { "p(95)": 612.34 } },
      },
    });
    expect(ok).toBe(false);
    expect(lines).toEqual([
      "100 requests",
      "ok http_req_failed: rate<0.1 (rate 0.04)",
      "FAILED http_req_duration: p(95)<500 (p(95) 612.3 ms)",
      "queue_manager_requests_by_version{version:v2-bad} = 10",
    ]);
  });
});
