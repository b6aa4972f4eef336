/**
 * The whole healer in-process on simulated time (see healer.test.ts): the safety rules — the circuit
 * breaker (Kafka outage, hung consumer, mass silence), leader failover, graceful stop, crash hook.
 */
import { afterEach, describe, expect, it } from "vitest";
import { addHealer, createLoader, fleet, jobsOfTask, metricValue, newLab, processView, stopCurrentLab, worker } from "./testing/in-process-lab.ts";
import type { FaultPoint } from "./runtime/config.ts";
import { NAMESPACE } from "./testing/fixtures.ts";

afterEach(stopCurrentLab);

describe("the healer's safety rules, in-process on simulated time", () => {
  it("a full Kafka outage opens the breaker: zero remediations, RemediationSuppressed, then a fresh grace for everyone", async () => {
    const lab = newLab();
    const jobs = [];
    for (const name of ["loader-1", "loader-2", "loader-3", "loader-4"]) jobs.push(await createLoader(lab, name));
    for (const job of jobs) worker(lab, job);
    const { healer, log } = await addHealer(lab);
    await lab.clock.advance(12_000);
    expect(healer.breaker.state).toBe("closed");
    const before = lab.kube.mutations().length;

    lab.kafka.setUp(false);
    await lab.clock.advance(40_000);
    expect(healer.breaker.state).toBe("open");
    expect(await metricValue(healer, "healer_breaker_open")).toBe(1);
    lab.kafka.setUp(true);
    await lab.clock.advance(30_000);

    expect(healer.breaker.state).toBe("closed");
    expect(lab.kube.mutations().length).toBe(before);
    expect(jobs.map((job) => lab.kube.job(NAMESPACE, job.metadata.name!)?.metadata.uid)).toEqual(jobs.map((job) => job.metadata.uid));
    const suppressed = lab.kube.events(NAMESPACE).filter((event) => event.reason === "RemediationSuppressed");
    expect(suppressed.map((event) => event.involvedObject.name).sort()).toEqual(["loader-1", "loader-2", "loader-3", "loader-4"]);
    expect(log.decisions().filter((line) => line.result === "suppressed")).toHaveLength(4);
    expect(await metricValue(healer, "healer_detections_total")).toBe(0);
    expect(await metricValue(healer, "healer_breaker_transitions_total", { to: "open" })).toBeGreaterThanOrEqual(1);
  });

  it("a consumer that hangs (no error, nothing delivered) is noticed by the canary before any Job looks silent, and recreated", async () => {
    const lab = newLab();
    const jobs = [await createLoader(lab, "loader-1"), await createLoader(lab, "loader-2")];
    for (const job of jobs) worker(lab, job);
    const { healer } = await addHealer(lab);
    await lab.clock.advance(12_000);
    expect(healer.breaker.state).toBe("closed");
    const before = lab.kube.mutations().length;
    lab.kafka.deliver = false;
    await lab.clock.advance(2_600);
    expect(healer.breaker.state).toBe("open");
    expect(healer.breaker.reasons).toContain("canary");
    await lab.clock.advance(12_000);
    expect(lab.kafka.streams.length).toBeGreaterThanOrEqual(2);
    expect(await metricValue(healer, "healer_consumer_restarts_total")).toBeGreaterThanOrEqual(1);
    lab.kafka.deliver = true;
    lab.kafka.pump();
    await lab.clock.advance(15_000);
    expect(healer.breaker.state).toBe("closed");
    expect(lab.kube.mutations().length).toBe(before);
  });

  it("when most Jobs go silent together (>= 50 %, min 3) it assumes the stream, not the Jobs, and makes zero remediations", async () => {
    const lab = newLab();
    const jobs = [];
    for (const name of ["loader-1", "loader-2", "loader-3", "loader-4"]) jobs.push(await createLoader(lab, name));
    let alive = true;
    for (const job of jobs) worker(lab, job, { alive: () => alive });
    const { healer } = await addHealer(lab);
    await lab.clock.advance(12_000);
    const before = lab.kube.mutations().length;
    alive = false;
    await lab.clock.advance(30_000);
    expect(healer.breaker.state).toBe("open");
    expect(healer.breaker.reasons).toEqual(["mass-silence"]);
    expect(lab.kube.mutations().length).toBe(before);
  });

  it("only the leader acts; after a failover the new leader re-graces and restarts nobody healthy", async () => {
    const lab = newLab();
    const jobs = [await createLoader(lab, "loader-1"), await createLoader(lab, "loader-2")];
    for (const job of jobs) worker(lab, job);
    const a = await addHealer(lab, { POD_NAME: "healer-a" });
    await lab.clock.advance(1_000);
    const b = await addHealer(lab, { POD_NAME: "healer-b" });
    await lab.clock.advance(10_000);
    expect(a.healer.isLeader()).toBe(true);
    expect(b.healer.isLeader()).toBe(false);
    expect(b.healer.readiness().ok).toBe(true);
    const before = lab.kube.mutations().length;
    await a.healer.stop();
    await lab.clock.advance(30_000);
    expect(b.healer.isLeader()).toBe(true);
    expect(b.healer.breaker.state).toBe("closed");
    expect(lab.kube.mutations().length).toBe(before);
  });

  for (const point of ["after-create", "after-delete"] as const) {
    it(`a leader killed ${point}: the standby takes over and finishes the remediation`, async () => {
      const lab = newLab();
      const old = await createLoader(lab, "loader-1");
      fleet(lab, (job) => job.metadata.uid === old.metadata.uid);
      const view = processView(lab);
      const a = await addHealer(lab, { POD_NAME: "healer-a" }, {
        view,
        faultPoint: (reached) => {
          if (reached !== point) return;
          view.kill();
          throw new Error(`SIGKILL at ${point} (simulated)`);
        },
      });
      await lab.clock.advance(1_000);
      const b = await addHealer(lab, { POD_NAME: "healer-b" });
      for (let step = 0; step < 60 && !b.healer.isLeader(); step++) await lab.clock.advance(500);
      expect(a.healer.isLeader()).toBe(false);
      expect(b.healer.isLeader()).toBe(true);
      await lab.clock.advance(20_000);
      const jobs = jobsOfTask(lab, "loader-1");
      expect(jobs.map((job) => job.metadata.name)).toEqual(["loader-1-r1"]);
      expect(jobs[0]!.spec?.suspend).toBe(false);
      expect(lab.kube.livePodsOf(jobs[0]!.metadata.uid!)).toHaveLength(1);
      expect(lab.kube.calls.filter((call) => call.verb === "create" && call.name === "loader-1-r1")).toHaveLength(1);
      expect(b.log.decisions().some((line) => line.action === "resume" && line.result === "success")).toBe(true);
      a.healer.stop().catch(() => undefined);
      lab.healers.splice(lab.healers.indexOf(a.healer), 1);
    });
  }

  it("SIGTERM path: stops remediating, commits offsets and releases the Lease", async () => {
    const lab = newLab();
    const job = await createLoader(lab, "loader-1");
    worker(lab, job);
    const { healer } = await addHealer(lab);
    await lab.clock.advance(8_000);
    await healer.stop();
    const lease = await lab.kube.readLease(NAMESPACE, "healer");
    expect(lease?.spec?.holderIdentity).toBe("");
    expect(lab.kafka.streams.at(-1)?.stopped).toBe(true);
    const committed = [...lab.kafka.committed.values()].reduce((sum, offset) => sum + offset, 0n);
    const total = lab.kafka.partitions.reduce((sum, records) => sum + records.length, 0);
    expect(Number(committed)).toBe(total);
    expect(healer.readiness().ok).toBe(false);
  });

  it("fires the fault-point test hook once, at the configured step", async () => {
    const lab = newLab();
    await createLoader(lab, "loader-1");
    await createLoader(lab, "loader-2");
    const reached: FaultPoint[] = [];
    await addHealer(lab, { HEALER_FAULT_POINT: "after-create" }, {
      faultPoint: (point) => {
        if (point === "after-create" && reached.length === 0) reached.push(point);
      },
    });
    await lab.clock.advance(25_000);
    expect(reached).toEqual(["after-create"]);
  });

});
