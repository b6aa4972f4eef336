import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cluster/images.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import type { KubeObject } from "../core/ports.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import { FakeKube, FakeLab } from "../testing/fake-lab.ts";
import { RunNames } from "../core/run-names.ts";
import type { SharedResources } from "../core/context.ts";
import { readRolloutBaseline, readRolloutNamespace } from "../probes/rollout/rollout-baseline.ts";
import { canarySetup, readManifests } from "./canary.ts";
import {
  CANARY_STATS_URL_ANNOTATION,
  canaryNamespaceName,
  createOwnNamespace,
  deleteOwnNamespace,
  isolateManifests,
  retargetServiceUrl,
} from "./canary-namespace.ts";
import { setupScopeOf, type SetupContext } from "./setup-action.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const manifests = () => readManifests(path.join(REPO_ROOT, "workloads", "queue-manager", "manifests"));
const find = (objects: KubeObject[], kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name)!;

describe("a canary in its own namespace", () => {
  it("names the namespace after the run: a DNS-1123 label of at most 63, the run suffix kept whole", () => {
    expect(canaryNamespaceName("streamforge", "3fa2c1")).toBe("streamforge-canary-3fa2c1");
    const long = canaryNamespaceName("a".repeat(80), "3fa2c1");
    expect(long).toHaveLength(63);
    expect(long.endsWith("-canary-3fa2c1")).toBe(true);
    expect(canaryNamespaceName("Team_Ns-", "AB12")).toBe("team-ns-canary-ab12");
    for (const name of [long, canaryNamespaceName("-x-", "0"), canaryNamespaceName("streamforge", "run")]) expect(name).toMatch(DNS_LABEL);
    expect(() => canaryNamespaceName("streamforge", "--")).toThrow(/no character/);
  });

  it("moves a Service's cluster DNS name to the new namespace, and leaves host URLs alone", () => {
    expect(retargetServiceUrl("http://queue-manager-metrics.streamforge.svc.cluster.local:8080", "streamforge", "sf-canary-1")).toBe(
      "http://queue-manager-metrics.sf-canary-1.svc.cluster.local:8080",
    );
    expect(retargetServiceUrl("http://qm.streamforge:8080/x", "streamforge", "b")).toBe("http://qm.b:8080/x");
    expect(retargetServiceUrl("http://127.0.0.1:32501", "streamforge", "b")).toBe("http://127.0.0.1:32501");
    expect(retargetServiceUrl("http://streamforge.other.svc:80", "streamforge", "b")).toBe("http://streamforge.other.svc:80");
  });

  it("rewrites every object of the queue-manager manifests into the namespace, RBAC subject and stats URL included", async () => {
    const read = await manifests();
    const moved = isolateManifests(read, { from: "streamforge", to: "streamforge-canary-3fa2c1" });
    expect(moved.map((object) => object.metadata.namespace)).toEqual(read.map(() => "streamforge-canary-3fa2c1"));
    expect((find(moved, "RoleBinding", "queue-manager-metrics") as unknown as { subjects: { namespace: string }[] }).subjects).toEqual([
      { kind: "ServiceAccount", name: "queue-manager-metrics", namespace: "streamforge-canary-3fa2c1" },
    ]);
    expect(find(moved, "Rollout", "queue-manager").metadata.annotations![CANARY_STATS_URL_ANNOTATION]).toBe("http://queue-manager-metrics.streamforge-canary-3fa2c1.svc.cluster.local:8080");
    // The input is left as read: the non-isolated form and a second run use the same manifests.
    expect(find(read, "Service", "queue-manager").metadata.namespace).toBe("streamforge");
    expect(find(read, "Rollout", "queue-manager").metadata.annotations![CANARY_STATS_URL_ANNOTATION]).toBe("http://queue-manager-metrics.streamforge.svc.cluster.local:8080");
  });

  it("refuses cluster-scoped objects: their fixed names would be shared by every run again", () => {
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } };
    expect(() => isolateManifests([role], { from: "streamforge", to: "b" })).toThrow(/ClusterRole\/x has no namespace/);
  });

  it("shares the lab (scope run) only in its own namespace", () => {
    const parse = (extra: object) => canarySetup.params.parse({ manifests: "m", release: { image: "x:v2" }, ...extra });
    expect(setupScopeOf(canarySetup, parse({ ownNamespace: true }))).toBe("run");
    expect(setupScopeOf(canarySetup, parse({}))).toBe("lab");
    expect(setupScopeOf({}, {})).toBe("run");
  });

  it("journals the namespace before creating it, labelled with the run", async () => {
    const kube = new FakeKube();
    const steps: string[] = [];
    const create = kube.create.bind(kube);
    kube.create = async (object) => (steps.push(`create ${object.kind} ${object.metadata.name}`), create(object));
    // The serviceaccount controller's part: the namespace's default ServiceAccount.
    kube.objects.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "sf-canary-1" } });
    const ctx = {
      kube,
      clock: systemClock,
      signal: new AbortController().signal,
      log: silentLog,
      runLabels: { [RUN_ID_LABEL]: "r1-abc" },
      journal: { record: async (action: unknown) => void steps.push(`journal ${JSON.stringify(action)}`) },
    } as unknown as SetupContext<{ namespace: { name: string; runId: string } }>;
    await createOwnNamespace(ctx, "sf-canary-1");
    expect(steps).toEqual(['journal {"namespace":{"name":"sf-canary-1","runId":"r1-abc"}}', "create Namespace sf-canary-1"]);
    expect((await kube.get({ apiVersion: "v1", kind: "Namespace", name: "sf-canary-1" }))?.metadata.labels).toEqual({ [RUN_ID_LABEL]: "r1-abc" });
  });

  it("teardown deletes only the run's own namespace, and waits until it is gone", async () => {
    const kube = new FakeKube();
    const namespace = (name: string, runId: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, uid: `u-${name}`, labels: { [RUN_ID_LABEL]: runId } } });
    kube.objects.push(namespace("ours", "r1"), namespace("theirs", "r2"));
    const warnings: string[] = [];
    const ctx = { kube, clock: systemClock, log: { info: () => undefined, warn: (message: string) => warnings.push(message) }, lab: {} } as never;
    await deleteOwnNamespace({ name: "ours", runId: "r1" }, ctx);
    await deleteOwnNamespace({ name: "theirs", runId: "r1" }, ctx);
    await deleteOwnNamespace({ name: "gone", runId: "r1" }, ctx);
    expect(kube.objects.map((object) => object.metadata.name)).toEqual(["theirs"]);
    expect(warnings).toEqual(["not deleting namespace theirs: it belongs to run r2, not r1"]);
  });

  it("on a lab whose Argo controller runs in the cluster (kind): the whole setup lands in the namespace, the stats URL names it, teardown removes it", async () => {
    const aggregator = http.createServer((request, response) => {
      response.statusCode = request.url === "/healthz" ? 200 : 404;
      response.end();
    });
    await new Promise<void>((resolve) => aggregator.listen(0, "127.0.0.1", resolve));
    try {
      const names = RunNames.forRun("rmxbbsaw7-e90f");
      const namespace = "streamforge-canary-e90f";
      const runLabels = { [RUN_ID_LABEL]: "rmxbbsaw7-e90f" };
      // kind: no controllerUrl (the manifests' DNS names serve the in-cluster controller); hostUrl through the API server.
      const lab = new FakeLab();
      // The lab's placement of the copies (the sim's: free host ports) is what gets applied.
      const placeCopies = lab.services.applyCopies;
      lab.services.applyCopies = (objects, seed, apply) =>
        placeCopies(objects, seed, (copies) => apply(copies.map((copy) => (copy.kind === "Service" ? { ...copy, metadata: { ...copy.metadata, annotations: { ...copy.metadata.annotations, placed: seed } } } : copy))));
      lab.serviceUrls.set(`${namespace}/queue-manager-metrics`, `http://127.0.0.1:${(aggregator.address() as AddressInfo).port}`);
      const kube = new FakeKube();
      kube.objects.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } });
      const apply = kube.apply.bind(kube);
      // Argo's part: every Rollout applied is Healthy on one revision.
      kube.apply = async (object) => apply(object.kind === "Rollout" ? { ...object, status: { phase: "Healthy", stableRS: "h1", currentPodHash: "h1" } } : object);
      const held = new Map<string, unknown>();
      const shared: SharedResources = { get: async (key, create) => (held.has(key) || held.set(key, await create()), held.get(key) as never) };
      const journal: unknown[] = [];
      const ctx = {
        kube,
        lab,
        description: lab.description,
        scenarioDir: path.join(REPO_ROOT, "scenarios"),
        names,
        shared,
        runLabels,
        journal: { record: async (action: unknown) => void journal.push(action) },
        clock: systemClock,
        timeline: { record: () => undefined },
        signal: new AbortController().signal,
        log: silentLog,
      } as never;
      const spec = canarySetup.params.parse({ manifests: "../workloads/queue-manager/manifests", ownNamespace: true, release: { image: "chaoslab/queue-manager:v2-bad" } });
      await canarySetup.create(spec).run(ctx);

      const rollout = (await kube.get({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", namespace, name: "queue-manager" }))!;
      expect(rollout.metadata.annotations![CANARY_STATS_URL_ANNOTATION]).toBe(`http://queue-manager-metrics.${namespace}.svc.cluster.local:8080`);
      expect(JSON.stringify(rollout)).toContain("chaoslab/queue-manager:v2-bad");
      expect(kube.objects.filter((object) => object.kind !== "Namespace").map((object) => object.metadata.namespace)).toEqual(kube.objects.filter((object) => object.kind !== "Namespace").map(() => namespace));
      expect(kube.objects.filter((object) => object.kind === "Service").map((object) => `${object.metadata.name} ${object.metadata.annotations?.placed}`)).toEqual(["queue-manager-metrics e90f", "queue-manager e90f", "queue-manager-stable e90f", "queue-manager-canary e90f"]);
      expect(lab.calls).toContain(`applyCopies ${(await manifests()).length} seed=e90f`);
      expect(await readRolloutNamespace(shared, "queue-manager")).toBe(namespace);
      expect(await readRolloutBaseline(shared, namespace, "queue-manager")).toMatchObject({ stableHash: "h1" });
      expect(journal[0]).toEqual({ namespace: { name: namespace, runId: "rmxbbsaw7-e90f" } });

      for (const action of [...journal].reverse()) await canarySetup.revert(action as never, { kube, lab, clock: systemClock, log: silentLog });
      // What the namespace controller would remove with the namespace (the fake has none): only its default ServiceAccount.
      expect(kube.objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(["ServiceAccount/default"]);
    } finally {
      aggregator.close();
    }
  });
});
