import { describe, expect, it } from "vitest";
import { aggregateCanaryStats, CanaryStatsError, type PodStats } from "./pod-stats.ts";

function stats(pod: string, requests: number, errors: number, overrides: Partial<PodStats> = {}): PodStats {
  return {
    version: "v2-bad",
    pod,
    podTemplateHash: "6f4d8b7c9",
    requests,
    errors,
    errorRate: requests === 0 ? null : errors / requests,
    startedAt: "2025-11-24T00:00:00.000Z",
    uptimeSeconds: 30,
    ...overrides,
  };
}

describe("aggregateCanaryStats", () => {
  it("sums requests and errors of every canary pod", () => {
    const aggregate = aggregateCanaryStats("6f4d8b7c9", [
      { pod: "qm-6f4d8b7c9-a", stats: stats("qm-6f4d8b7c9-a", 40, 20) },
      { pod: "qm-6f4d8b7c9-b", stats: stats("qm-6f4d8b7c9-b", 60, 30) },
    ]);
    expect(aggregate).toMatchObject({ pods: 2, requests: 100, errors: 50, errorRate: 0.5, versions: ["v2-bad"] });
    expect(aggregate.perPod).toHaveLength(2);
  });

  it("reports no data as errorRate null, with no pods or with idle pods", () => {
    expect(aggregateCanaryStats("6f4d8b7c9", [])).toMatchObject({ pods: 0, requests: 0, errorRate: null });
    expect(
      aggregateCanaryStats("6f4d8b7c9", [{ pod: "qm-6f4d8b7c9-a", stats: stats("qm-6f4d8b7c9-a", 0, 0) }]),
    ).toMatchObject({ pods: 1, requests: 0, errorRate: null });
  });

  it("refuses a pod that answers for another hash or under another name", () => {
    expect(() =>
      aggregateCanaryStats("6f4d8b7c9", [
        { pod: "qm-6f4d8b7c9-a", stats: stats("qm-6f4d8b7c9-a", 10, 0, { podTemplateHash: "5b8c7d9f4" }) },
      ]),
    ).toThrow(CanaryStatsError);
    expect(() =>
      aggregateCanaryStats("6f4d8b7c9", [{ pod: "qm-6f4d8b7c9-a", stats: stats("qm-5b8c7d9f4-z", 10, 0) }]),
    ).toThrow(/answered by pod qm-5b8c7d9f4-z/);
  });
});
