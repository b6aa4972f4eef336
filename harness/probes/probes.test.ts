import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { kubernetesObjectProbe } from "./kubernetes-object.ts";
import { kafkaLagProbe } from "./kafka-lag.ts";
import { kafkaUnderReplicatedProbe } from "./kafka-under-replicated.ts";
import { kafkaLeaderProbe } from "./kafka-leader.ts";
import { kafkaLedgerProbe } from "./kafka-ledger.ts";
import { healerActionsProbe } from "./healer-actions.ts";
import { httpProbe } from "./http.ts";
import { partialMatch } from "./partial-match.ts";
import { LEDGER_FEED_KEY, type LedgerFeed, type LedgerSnapshot } from "./ledger/ledger-feed.ts";
import { probeParamsSchema, type ProbeType } from "./probe.ts";
import { expectationContext } from "../testing/probe-context.ts";
import type { LedgerRecord } from "../../workloads/ledger/ledger-record.ts";

function probe<P>(type: ProbeType<P>, params: unknown) {
  return type.create(probeParamsSchema(type as ProbeType).parse(params) as P);
}

describe("partial match", () => {
  it("matches written fields only, lists element-wise with equal length", () => {
    const pod = { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] }, spec: { nodeName: "n" } };
    expect(partialMatch({ status: { phase: "Running" } }, pod)).toBeUndefined();
    expect(partialMatch({ status: { phase: "Pending" } }, pod)).toEqual({ path: "status.phase", expected: "Pending", found: "Running" });
    expect(partialMatch({ status: { conditions: [{ type: "Ready" }] } }, pod)).toBeUndefined();
    expect(partialMatch({ status: { conditions: [] } }, pod)).toMatchObject({ path: "status.conditions", expected: "0 items" });
    expect(partialMatch({ metadata: { name: "x" } }, pod)).toMatchObject({ path: "metadata", expected: "a mapping" });
  });
});

describe("k8s.object", () => {
  it("holds when the selected objects match and have the condition; a missing object does not hold", async () => {
    const { ctx, ports } = expectationContext();
    const job = (name: string, complete: string) => ({ apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: "streamforge", labels: { app: "loader" } }, status: { conditions: [{ type: "Complete", status: complete }] } });
    ports.kube.objects = [job("loader-1", "True"), job("loader-2", "False")];
    const complete = probe(kubernetesObjectProbe, { apiVersion: "batch/v1", kind: "Job", namespace: "streamforge", selector: "app=loader", condition: { type: "Complete" } });
    expect(await complete.sample(ctx)).toMatchObject({ outcome: "not-ok", detail: "Job loader-2: condition Complete is False, expected True" });
    ports.kube.objects = [job("loader-1", "True"), job("loader-2", "True")];
    expect(await complete.sample(ctx)).toMatchObject({ outcome: "ok", detail: "2 Job(s) match" });
    const named = probe(kubernetesObjectProbe, { apiVersion: "batch/v1", kind: "Job", namespace: "streamforge", name: "loader-9" });
    expect(await named.sample(ctx)).toMatchObject({ outcome: "not-ok", detail: "found 0 Job(s), expected 1..∞" });
  });

  it("needs exactly one of name or selector", () => {
    expect(probeParamsSchema(kubernetesObjectProbe as ProbeType).safeParse({ apiVersion: "v1", kind: "Pod" }).success).toBe(false);
  });
});

describe("Kafka probes", () => {
  it("kafka.lag: no committed offsets is no data, not zero lag", async () => {
    const { ctx, ports } = expectationContext();
    const lag = probe(kafkaLagProbe, { group: "arango-connector", max: 100 });
    ports.kafka.lag = undefined;
    expect((await lag.sample(ctx)).outcome).toBe("no-data");
    ports.kafka.lag = { group: "g", total: 150, partitions: [] };
    expect(await lag.sample(ctx)).toMatchObject({ outcome: "not-ok", detail: "lag 150 > max 100" });
    ports.kafka.lag = { group: "g", total: 10, partitions: [] };
    expect((await lag.sample(ctx)).outcome).toBe("ok");
  });

  it("kafka.underReplicated and kafka.leader follow a broker going down and coming back", async () => {
    const { ctx, lab } = expectationContext();
    const urp = probe(kafkaUnderReplicatedProbe, { max: 0 });
    const leader = probe(kafkaLeaderProbe, { topic: "loader-data", partition: 0, isNot: 2 });
    expect((await urp.sample(ctx)).outcome).toBe("ok");
    expect((await leader.sample(ctx)).outcome).toBe("not-ok");
    await lab.brokers.kill(2, "crash");
    expect(await urp.sample(ctx)).toMatchObject({ outcome: "not-ok", value: { underReplicated: 3 } });
    expect(await leader.sample(ctx)).toMatchObject({ outcome: "ok", detail: "leader 3, isr [3,1]" });
    await lab.brokers.start(2);
    expect((await urp.sample(ctx)).outcome).toBe("ok");
  });
});

describe("kafka.ledger", () => {
  const record = (taskId: string, acked: [number, number][], complete: boolean): LedgerRecord => ({
    v: 1,
    taskId,
    attempt: 0,
    jobUid: "u",
    jobName: taskId,
    writerId: `w-${taskId}`,
    ledgerSeq: 1,
    ts: 1,
    messages: 10,
    acked,
    inherited: [],
    sent: acked,
    complete,
  });
  function withFeed(snapshot: Partial<LedgerSnapshot>) {
    const harness = expectationContext();
    const feed: LedgerFeed = { snapshot: async () => ({ caughtUp: true, detail: "", records: [], consumed: [], invalidRecords: 0, ...snapshot }), close: async () => undefined };
    void harness.shared.get(LEDGER_FEED_KEY, () => feed);
    return harness.ctx;
  }
  const ledger = probe(kafkaLedgerProbe, { lost: 0 });
  const consumed = (taskId: string, seqs: number[]) => seqs.map((seq) => ({ taskId, seq }));
  const all = Array.from({ length: 10 }, (_, i) => i);

  it("holds when every acknowledged record was consumed, counting duplicates apart", async () => {
    const sample = await ledger.sample(withFeed({ records: [record("loader-1", [[0, 9]], true)], consumed: [...consumed("loader-1", all), ...consumed("loader-1", [3])] }));
    expect(sample).toMatchObject({ outcome: "ok", value: { acked: 10, consumed: 10, lost: 0, duplicated: 1, reordered: 0 } });
    expect(kafkaLedgerProbe.ledger!(sample.value)).toEqual({ produced: 10, acked: 10, consumed: 10, lost: 0, duplicated: 1, reordered: 0 });
  });

  it("reports lost records with their ranges", async () => {
    const sample = await ledger.sample(withFeed({ records: [record("loader-1", [[0, 9]], true)], consumed: consumed("loader-1", [0, 1, 2, 3, 4, 5, 6]) }));
    expect(sample).toMatchObject({ outcome: "not-ok", detail: "acked 10, consumed 7, lost 3, duplicated 0, reordered 0 (lost loader-1: 7-9)" });
  });

  it("counts per-key order violations, and fails on them only when the scenario bounds them", async () => {
    const outOfOrder = withFeed({ records: [record("loader-1", [[0, 9]], true)], consumed: consumed("loader-1", [0, 1, 2, 5, 3, 4, 6, 7, 8, 9]) });
    expect(await ledger.sample(outOfOrder)).toMatchObject({ outcome: "ok", value: { reordered: 2, lost: 0, duplicated: 0 } });
    const strict = probe(kafkaLedgerProbe, { lost: 0, reordered: 0 });
    expect(strict.describe()).toBe("ledger lost ≤ 0, reordered ≤ 0");
    expect(await strict.sample(outOfOrder)).toMatchObject({
      outcome: "not-ok",
      detail: "acked 10, consumed 10, lost 0, duplicated 0, reordered 2 (reordered loader-1: 3-4)",
    });
  });

  it("adds garbage the computation skipped to what the reader could not parse", async () => {
    const sample = await ledger.sample(withFeed({ records: [record("loader-1", [[0, 9]], true)], consumed: [...consumed("loader-1", all), { taskId: "loader-1", seq: -1 }], invalidRecords: 2 }));
    expect(sample).toMatchObject({ outcome: "ok", value: { invalidRecords: 3, lost: 0 } });
  });

  it("is no data while the reader is behind or nothing was acknowledged, and not-ok while tasks run", async () => {
    expect((await ledger.sample(withFeed({ caughtUp: false, detail: "behind" }))).outcome).toBe("no-data");
    expect((await ledger.sample(withFeed({}))).outcome).toBe("no-data");
    expect(await ledger.sample(withFeed({ records: [record("loader-1", [[0, 4]], false)], consumed: consumed("loader-1", [0, 1, 2, 3, 4]) }))).toMatchObject({ outcome: "not-ok", detail: "tasks not complete yet: loader-1" });
  });
});

describe("healer.actions", () => {
  it("counts distinct decisions seen on either channel, and is no data without the recorder", async () => {
    const { ctx, timeline, reference } = expectationContext();
    const replaced = probe(healerActionsProbe, { action: "replaced", job: "loader-1" });
    expect((await replaced.sample(ctx)).outcome).toBe("not-ok");
    const decision = { kind: "healer", action: "replaced", jobName: "loader-1", jobUid: "u1", taskId: "loader-1", at: reference + 5 } as const;
    timeline.record({ ...decision, source: "queue-events" });
    timeline.record({ ...decision, source: "k8s-event" });
    expect(await replaced.sample(ctx)).toMatchObject({ outcome: "ok", value: { count: 1 } });
    const none = probe(healerActionsProbe, { action: "replaced", min: 0, max: 0 });
    expect((await none.sample(ctx)).outcome).toBe("not-ok");
    const { ctx: blind } = expectationContext({ sources: [] });
    expect((await replaced.sample(blind)).outcome).toBe("no-data");
  });
});

describe("http", () => {
  it("checks status and body; a refused connection does not hold", async () => {
    const server = http.createServer((request, response) => {
      response.statusCode = request.url === "/healthz" ? 200 : 503;
      response.end(request.url === "/healthz" ? "ok" : "down");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { ctx, lab } = expectationContext();
      lab.serviceUrls.set("streamforge/queue-manager", `http://127.0.0.1:${port}`);
      expect(await probe(httpProbe, { service: "streamforge/queue-manager", path: "/healthz", bodyContains: "ok" }).sample(ctx)).toMatchObject({ outcome: "ok" });
      expect(await probe(httpProbe, { url: `http://127.0.0.1:${port}/other` }).sample(ctx)).toMatchObject({ outcome: "not-ok", value: { status: 503 } });
      expect((await probe(httpProbe, { service: "streamforge/unknown" }).sample(ctx)).outcome).toBe("no-data");
    } finally {
      server.close();
    }
    const { ctx } = expectationContext();
    expect((await probe(httpProbe, { url: `http://127.0.0.1:${port}/healthz`, timeout: "500ms" }).sample(ctx)).outcome).toBe("not-ok");
  });
});
