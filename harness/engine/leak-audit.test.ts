import { describe, expect, it } from "vitest";
import { auditLeaks } from "./leak-audit.ts";
import { ManualClock } from "../core/clock.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import { DEFAULT_CATALOG } from "../catalog.ts";
import { FakeKube, FakeLab, fakePod, fakePorts } from "../testing/fake-lab.ts";

const RUN = "run-3fa2c1";
const runLabels = { [RUN_ID_LABEL]: RUN };

function world() {
  const lab = new FakeLab();
  const kube = new FakeKube();
  const clock = new ManualClock();
  const deps = { catalog: { ...DEFAULT_CATALOG, faults: [] }, lab, ports: fakePorts(lab, kube), clock };
  return { kube, clock, audit: (options: { ownNamespaces?: boolean } = { ownNamespaces: true }) => auditLeaks(deps, RUN, ["streamforge"], options) };
}

/** Runs the audit to its end, moving the manual clock through its settle waits. */
async function settle(clock: ManualClock, audit: Promise<unknown>) {
  let done = false;
  void audit.finally(() => (done = true));
  for (let second = 0; second < 30 && !done; second++) await clock.advance(1_000);
  return audit;
}

describe("the leak audit's label check", () => {
  it("finds nothing when nothing of the run is left (other runs' objects are not this run's leaks)", async () => {
    const { kube, audit } = world();
    kube.objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: "streamforge-canary-other", labels: { [RUN_ID_LABEL]: "run-other" } } });
    kube.pods.push(fakePod("loader-x", { labels: { [RUN_ID_LABEL]: "run-other" } }));
    expect(await audit()).toEqual([]);
  });

  it("reports a Job and a Pod of the run still there after the settle wait, with the command that removes them", async () => {
    const { kube, clock, audit } = world();
    kube.objects.push({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "loader-a", namespace: "streamforge", labels: runLabels } });
    kube.pods.push(fakePod("loader-a-xyz", { labels: runLabels }));
    const leaks = await settle(clock, audit());
    expect(leaks).toEqual([
      { what: `Job streamforge/loader-a (labelled ${RUN_ID_LABEL}=${RUN}) still exists`, fix: `kubectl delete job,pod -A -l ${RUN_ID_LABEL}=${RUN}` },
      { what: `Pod streamforge/loader-a-xyz (labelled ${RUN_ID_LABEL}=${RUN}) still exists`, fix: `kubectl delete job,pod -A -l ${RUN_ID_LABEL}=${RUN}` },
    ]);
  });

  it("reports the run's own namespace (a canary's) left behind, terminating or not", async () => {
    const { kube, clock, audit } = world();
    kube.objects.push(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "streamforge-canary-3fa2c1", labels: runLabels } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "streamforge-canary-3fa2c1-b", labels: runLabels, deletionTimestamp: "2025-01-01T00:00:00Z" } },
    );
    const leaks = (await settle(clock, audit())) as { what: string; fix: string }[];
    expect(leaks.map((leak) => leak.what)).toEqual([
      `Namespace streamforge-canary-3fa2c1 (labelled ${RUN_ID_LABEL}=${RUN}) still exists`,
      `Namespace streamforge-canary-3fa2c1-b (labelled ${RUN_ID_LABEL}=${RUN}) still terminating`,
    ]);
    expect(leaks[0]!.fix).toContain("kubectl delete namespace streamforge-canary-3fa2c1");
  });

  it("lists namespaces only when asked (a run without a namespace of its own needs no cluster-wide list permission)", async () => {
    const { kube, audit } = world();
    kube.objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: "streamforge-canary-3fa2c1", labels: runLabels } });
    kube.list = async (query) => {
      if (query.kind === "Namespace") throw new Error("list Namespace in all namespaces: namespaces is forbidden");
      return [];
    };
    expect(await audit({})).toEqual([]);
  });

  it("waits for garbage collection: a pod gone within the settle wait is no leak", async () => {
    const { kube, clock, audit } = world();
    kube.pods.push(fakePod("loader-a-xyz", { labels: runLabels }));
    const result = audit();
    await clock.advance(3_000);
    kube.pods = [];
    expect(await settle(clock, result)).toEqual([]);
  });
});
