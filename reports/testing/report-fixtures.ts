/**
 * Realistic `chaoslab run` results for report tests: three scenarios of the suite as a run on the sim
 * lab would leave them — one passed (a loader pod deleted, the healer replaced its Job), one failed
 * (records lost after a broker crash: a resilience failure, with a Rollout that degraded meanwhile),
 * one broken (setup failed: lab breakage). Timelines carry every kind of entry the engine records.
 */
import type { ScenarioResult } from "../results/scenario-result.ts";
import type { PhaseName, TimelineEntry } from "../results/timeline.ts";
import type { EnvironmentFingerprint } from "../results/fingerprint.ts";

export const FIXTURE_T0 = Date.UTC(2025, 10, 24, 9, 30, 0);

export const FIXTURE_FINGERPRINT: EnvironmentFingerprint = {
  provider: "sim",
  components: { kubernetes: "v1.34.4", etcd: "v3.6.4", kwok: "v0.8.0", argoRollouts: "v1.9.1", toxiproxy: "v2.12.0", kafka: "4.3.1" },
  node: "v20.19.5",
  platform: "linux 6.8.0 x64",
  libraries: { "@kubernetes/client-node": "1.4.0", kafkajs: "2.2.4", zod: "4.6.7", yaml: "2.9.1", vitest: "4.1.12" },
  harness: "0.1.0",
  labStartedAt: "2025-11-24T09:12:03.000Z",
};

type Entry = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, "at"> : never) : never;

/** Builds a timeline the way the engine does: phases in order, entries stamped relative to t0. */
class TimelineBuilder {
  readonly entries: TimelineEntry[] = [];
  readonly phases: { phase: PhaseName; startedAt: number; finishedAt?: number }[] = [];

  constructor(private readonly t0: number) {}

  phase(phase: PhaseName, fromS: number, toS: number): this {
    this.phases.push({ phase, startedAt: this.t0 + fromS * 1000, finishedAt: this.t0 + toS * 1000 });
    this.add(fromS, { kind: "phase", phase, state: "start" });
    this.add(toS, { kind: "phase", phase, state: "end" });
    return this;
  }

  add(atS: number, entry: Entry): this {
    this.entries.push({ ...entry, at: this.t0 + atS * 1000 } as TimelineEntry);
    return this;
  }

  /** A probe sampled every `everyS` seconds from `fromS` to `toS`; `outcome` decides each sample. */
  samples(probe: string, fromS: number, toS: number, everyS: number, outcome: (atS: number) => { outcome: "ok" | "not-ok" | "no-data"; value?: unknown; detail?: string }): this {
    for (let atS = fromS; atS <= toS; atS += everyS) this.add(atS, { kind: "probe", probe, ...outcome(atS) });
    return this;
  }

  toJSON(): ScenarioResult["timeline"] {
    const sorted = [...this.entries].sort((a, b) => a.at - b.at);
    const origin = sorted[0]?.at ?? this.t0;
    return { startedAt: sorted[0]?.at, entries: sorted.map((entry) => ({ ...entry, t: entry.at - origin, time: new Date(entry.at).toISOString() })) };
  }
}

const uid = (seed: string) => `${seed.padEnd(8, "0").slice(0, 8)}-4c1e-4d2a-9f00-${seed.padEnd(12, "a").slice(0, 12)}`;

/** The fields that name a fixture run; its file is named after the scenario, as in scenarios/. */
function identity(name: string, title: string, labels: string[], run: { runId: string; seed: number }) {
  return { name, title, file: `scenarios/${name}.yaml`, labels, ...run };
}

function loaderPodDelete(t0: number): ScenarioResult {
  const tl = new TimelineBuilder(t0);
  tl.phase("setup", 0, 8).phase("steadyState", 8, 12).phase("faults", 12, 40).phase("expect", 40, 75).phase("revert", 75, 76).phase("teardown", 76, 80).phase("leakAudit", 80, 82);
  tl.add(1, { kind: "note", level: "info", message: "created Job streamforge/loader-1 with fault profile" });
  for (const n of [1, 2, 3]) tl.add(2 + n * 0.3, { kind: "object", change: "added", objectKind: "Job", namespace: "streamforge", name: `loader-${n}`, uid: uid(`job${n}`) });
  tl.samples("steadyState[0] k8s.object (before)", 8.5, 11.5, 1, () => ({ outcome: "ok", value: { count: 3 }, detail: "3 Pods match (min 3)" }));
  tl.add(12.2, { kind: "fault", fault: "kill-loader", type: "pod-delete", event: "planned", detail: "streamforge/loader-2-x7k2p" });
  tl.add(12.5, { kind: "fault", fault: "kill-loader", type: "pod-delete", event: "injected", detail: "deleted pod streamforge/loader-2-x7k2p (force)" });
  tl.add(12.6, { kind: "fault", fault: "kill-loader", type: "pod-delete", event: "journaled", detail: "nothing to revert (pod deletion)" });
  tl.add(12.7, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Pod", name: "loader-2-x7k2p", uid: uid("pod2a") }, reason: "Killing", message: "Stopping container loader", type: "Normal", source: "kubelet" });
  tl.add(12.9, { kind: "object", change: "deleted", objectKind: "Pod", namespace: "streamforge", name: "loader-2-x7k2p", uid: uid("pod2a") });
  tl.add(13.4, { kind: "fault", fault: "kill-loader", type: "pod-delete", event: "effect-confirmed", detail: "pod loader-2-x7k2p (uid pod2a000) gone" });
  tl.add(13.6, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Job", name: "loader-2", uid: uid("job2") }, reason: "SuccessfulCreate", message: "Created pod: loader-2-q9w4d", type: "Normal", source: "job-controller" });
  tl.add(13.7, { kind: "object", change: "added", objectKind: "Pod", namespace: "streamforge", name: "loader-2-q9w4d", uid: uid("pod2b") });
  tl.add(19, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Job", name: "loader-2", uid: uid("job2") }, reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit", type: "Warning", source: "job-controller" });
  tl.add(23.1, { kind: "healer", action: "detected", jobName: "loader-2", jobUid: uid("job2"), taskId: "task-2", reason: "no heartbeat for 5.2s", source: "queue-events", observedSilenceMs: 5200 });
  tl.add(23.9, { kind: "healer", action: "replaced", jobName: "loader-2", jobUid: uid("job2"), taskId: "task-2", reason: "silent for 5.2s (threshold 5s)", replacementJobName: "loader-2-r1", replacementJobUid: uid("job2r"), source: "k8s-event", observedSilenceMs: 5200 });
  tl.add(24.0, { kind: "object", change: "uid-changed", objectKind: "Job", namespace: "streamforge", name: "loader-2", uid: uid("job2r"), previousUid: uid("job2"), detail: "replaced by the healer" });
  tl.add(24.2, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Job", name: "loader-2", uid: uid("job2r") }, reason: "Replaced", message: "healer replaced silent Job loader-2 (task task-2)", type: "Normal", source: "streamforge-healer" });
  tl.add(40, { kind: "fault", fault: "kill-loader", type: "pod-delete", event: "reverted", detail: "0 action(s) reverted" });
  tl.samples("expect[0] healer.actions", 12.5, 40, 2.5, (s) => (s < 24 ? { outcome: "not-ok", value: { replaced: 0 }, detail: "0 replacements (min 1)" } : { outcome: "ok", value: { replaced: 1 }, detail: "1 replacement: loader-2 → loader-2-r1" }));
  tl.samples("expect[1] kafka.ledger", 45, 75, 10, (s) => ({ outcome: s < 70 ? "no-data" : "ok", detail: s < 70 ? "consumer still catching up" : "produced 3000, acked 3000, consumed 3000, lost 0" }));

  const plan = {
    fault: "kill-loader",
    type: "pod-delete",
    targets: [{ kind: "pod" as const, id: "streamforge/loader-2-x7k2p", namespace: "streamforge", uid: uid("pod2a") }],
    candidates: 3,
    safety: { ok: true, violations: [] },
    notes: ["seed 42 picked 1 of 3 pods matching app=loader"],
  };
  return {
    ...identity("loader-pod-delete", "Deleting a loader's pod does not lose acknowledged data, and the task comes back", ["nightly", "pod-delete", "healer"], { runId: "r20251124-093000-a1b2", seed: 42 }),
    verdict: "passed",
    reasons: [],
    startedAt: t0,
    finishedAt: t0 + 82_000,
    phases: tl.phases,
    setup: [{ index: 0, kind: "loaders", description: "3 loaders, 3000 messages at 100/s" }],
    faults: [
      {
        name: "kill-loader",
        type: "pod-delete",
        verdict: "confirmed",
        plan,
        injectedAt: t0 + 12_500,
        effectConfirmedAt: t0 + 13_400,
        revertedAt: t0 + 40_000,
        evidence: { summary: "pod loader-2-x7k2p (uid pod2a000) gone; replaced by loader-2-q9w4d", effectConfirmedAt: t0 + 13_400, observations: { deleted: ["streamforge/loader-2-x7k2p"], replacement: "loader-2-q9w4d" } },
      },
    ],
    steadyState: [{ when: "before", index: 0, probe: "k8s.object", description: "Pods app=loader in streamforge: at least 3 Running", verdict: "passed", message: "held for 4s" }],
    expectations: [
      { index: 0, kind: "healer.actions", description: "healer replaced ≥ 1 Job within 60s of kill-loader", verdict: "passed", message: "1 replacement after 11.4s", recovery: { reference: t0 + 12_500, detectedAt: t0 + 23_100, recoveredAt: t0 + 23_900, mttrMs: 11_400 } },
      { index: 1, kind: "kafka.ledger", description: "no acknowledged record lost", verdict: "passed", message: "produced 3000, acked 3000, consumed 3000, lost 0, duplicated 4", ledger: { produced: 3000, acked: 3000, consumed: 3000, lost: 0, duplicated: 4 } },
    ],
    ledger: { produced: 3000, acked: 3000, consumed: 3000, lost: 0, duplicated: 4 },
    leaks: [],
    reverts: { reverted: 3, failed: [] },
    timeline: tl.toJSON(),
    fingerprint: FIXTURE_FINGERPRINT,
  };
}

function brokerCrash(t0: number): ScenarioResult {
  const tl = new TimelineBuilder(t0);
  tl.phase("setup", 0, 6).phase("steadyState", 6, 14).phase("faults", 14, 36).phase("expect", 36, 150).phase("revert", 150, 152).phase("steadyStateAfter", 152, 160).phase("teardown", 160, 163).phase("leakAudit", 163, 165);
  tl.samples("steadyState[0] kafka.underReplicated (before)", 6.5, 13.5, 1, () => ({ outcome: "ok", value: 0, detail: "0 under-replicated partitions (max 0)" }));
  tl.samples("steadyState[1] rollout (before)", 7, 13, 3, () => ({ outcome: "ok", value: rollout("Healthy"), detail: "Healthy, stable 5b8c7d9f4" }));
  tl.add(14.3, { kind: "fault", fault: "crash-leader", type: "kafka-broker-failure", event: "planned", detail: "broker 2" });
  tl.add(14.8, { kind: "fault", fault: "crash-leader", type: "kafka-broker-failure", event: "injected", detail: "SIGKILL broker 2 (leader of loader-data-0)" });
  tl.add(14.9, { kind: "fault", fault: "crash-leader", type: "kafka-broker-failure", event: "journaled", detail: "restart broker 2" });
  tl.add(17.3, { kind: "fault", fault: "crash-leader", type: "kafka-broker-failure", event: "effect-confirmed", detail: "loader-data-0: leader 2 → 3" });
  tl.add(18, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Pod", name: "queue-manager-5b8c7d9f4-hx2lp", uid: uid("qm1") }, reason: "Unhealthy", message: "Readiness probe failed: kafka producer disconnected", type: "Warning", source: "kubelet" });
  tl.add(21, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Rollout", name: "queue-manager" }, reason: "RolloutDegraded", message: "Rollout is degraded: 1 of 2 replicas unavailable", type: "Warning", source: "rollouts-controller" });
  tl.add(35, { kind: "fault", fault: "crash-leader", type: "kafka-broker-failure", event: "reverted", detail: "1 action(s) reverted" });
  tl.add(52, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Rollout", name: "queue-manager" }, reason: "RolloutHealthy", message: "Rollout is healthy", type: "Normal", source: "rollouts-controller" });
  tl.samples("expect[0] kafka.leader", 15, 33, 2, (s) => (s < 17 ? { outcome: "not-ok", value: { leader: 2 }, detail: "leader still 2" } : { outcome: "ok", value: { leader: 3 }, detail: "leader 3" }));
  tl.samples("expect[1] kafka.underReplicated", 15, 120, 5, (s) => (s < 50 ? { outcome: "not-ok", value: 6, detail: "6 under-replicated partitions (max 0)" } : { outcome: "ok", value: 0, detail: "0 under-replicated partitions" }));
  tl.samples("steadyState[1] rollout (during)", 16, 61, 5, (s) => ({ outcome: s < 20 || s > 50 ? "ok" : "not-ok", value: rollout(s < 20 ? "Healthy" : s > 50 ? "Healthy" : "Degraded") }));
  tl.samples("expect[3] kafka.ledger", 100, 150, 10, (s) => ({ outcome: s < 140 ? "no-data" : "not-ok", detail: s < 140 ? "consumer still catching up" : "produced 4000, acked 4000, consumed 3988, lost 12" }));
  tl.samples("steadyState[0] kafka.underReplicated (after)", 152.5, 159.5, 1, () => ({ outcome: "ok", value: 0 }));
  tl.add(60, { kind: "note", level: "warning", message: "watch /api/v1/namespaces/streamforge/events: relisted after a gap of 2.1s" });

  const reason = { verdict: "failed" as const, source: "expect[3] kafka.ledger", message: "no acknowledged record lost: produced 4000, acked 4000, consumed 3988, lost 12 (sequences 1877..1888 of loader-1)" };
  return {
    ...identity("broker-crash", "Crashing the leader of loader-data loses no acknowledged record and the cluster heals", ["nightly", "kafka"], { runId: "r20251124-093300-c3d4", seed: 1_739_204_117 }),
    verdict: "failed",
    reasons: [reason],
    startedAt: t0,
    finishedAt: t0 + 165_000,
    phases: tl.phases,
    setup: [{ index: 0, kind: "loaders", description: "2 loaders, 4000 messages at 100/s" }],
    faults: [
      {
        name: "crash-leader",
        type: "kafka-broker-failure",
        verdict: "confirmed",
        plan: { fault: "crash-leader", type: "kafka-broker-failure", targets: [{ kind: "broker", id: "broker 2", detail: "leader of loader-data-0" }], candidates: 1, safety: { ok: true, violations: [] }, notes: [] },
        injectedAt: t0 + 14_800,
        effectConfirmedAt: t0 + 17_300,
        revertedAt: t0 + 35_000,
        evidence: { summary: "loader-data-0: leader 2 → 3", effectConfirmedAt: t0 + 17_300, observations: { partition: "loader-data-0", leaderBefore: 2, leaderAfter: 3 } },
      },
    ],
    steadyState: [
      { when: "before", index: 0, probe: "kafka.underReplicated", description: "under-replicated partitions ≤ 0", verdict: "passed", message: "held for 8s" },
      { when: "before", index: 1, probe: "rollout", description: "Rollout streamforge/queue-manager healthy", verdict: "passed", message: "Healthy" },
      { when: "after", index: 0, probe: "kafka.underReplicated", description: "under-replicated partitions ≤ 0", verdict: "passed", message: "held for 8s" },
    ],
    expectations: [
      { index: 0, kind: "kafka.leader", description: "loader-data-0 gets a new leader within 30s of crash-leader", verdict: "passed", message: "leader 3 after 2.5s", recovery: { reference: t0 + 14_800, recoveredAt: t0 + 17_300, mttrMs: 2_500 } },
      { index: 1, kind: "kafka.underReplicated", description: "under-replicated partitions ≤ 0 within 2m of crash-leader, stable 10s", verdict: "passed", message: "held from +35s", recovery: { reference: t0 + 14_800, detectedAt: t0 + 15_000, recoveredAt: t0 + 50_000, mttrMs: 35_200 } },
      { index: 2, kind: "healer.actions", description: "healer replaced 0 Jobs, stable 90s", verdict: "passed", message: "0 replacements" },
      { index: 3, kind: "kafka.ledger", description: "no acknowledged record lost", verdict: "failed", message: "produced 4000, acked 4000, consumed 3988, lost 12 (sequences 1877..1888 of loader-1)", ledger: { produced: 4000, acked: 4000, consumed: 3988, lost: 12, duplicated: 0 }, evidence: { lostSequences: { "loader-1": [[1877, 1888]] } } },
    ],
    ledger: { produced: 4000, acked: 4000, consumed: 3988, lost: 12, duplicated: 0 },
    leaks: [],
    reverts: { reverted: 3, failed: [] },
    timeline: tl.toJSON(),
    fingerprint: FIXTURE_FINGERPRINT,
  };
}

function rollout(phase: string) {
  return { name: "queue-manager", namespace: "streamforge", phase, message: phase === "Degraded" ? "1 of 2 replicas unavailable" : "", stableHash: "5b8c7d9f4", currentHash: "5b8c7d9f4", stepCount: 4, replicas: { desired: 2, current: 2, updated: 2, ready: phase === "Degraded" ? 1 : 2, available: phase === "Degraded" ? 1 : 2 } };
}

function kafkaLatencyBroken(t0: number): ScenarioResult {
  const tl = new TimelineBuilder(t0);
  tl.phase("setup", 0, 31).phase("revert", 31, 31.5).phase("teardown", 31.5, 33).phase("leakAudit", 33, 34);
  tl.add(1, { kind: "note", level: "info", message: "created Job streamforge/loader-1" });
  tl.add(1.5, { kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Pod", name: "loader-2-mm8sd" }, reason: "FailedCreatePodSandBox", message: "process runtime: fork failed: resource temporarily unavailable", type: "Warning", source: "kwok" });
  tl.add(31, { kind: "note", level: "warning", message: "setup[0] loaders: 1 of 2 loader Jobs never became ready within 30s" });
  const message = "loaders: Job streamforge/loader-2 not ready after 30s (pod loader-2-mm8sd: FailedCreatePodSandBox: fork failed); check `chaoslab lab status`";
  return {
    ...identity("kafka-latency", "300 ms on the workloads' path to every broker slows loaders but loses nothing", ["nightly", "network"], { runId: "r20251124-093600-e5f6", seed: 907_113 }),
    verdict: "broken",
    reasons: [{ verdict: "broken", source: "setup[0] loaders", message }],
    startedAt: t0,
    finishedAt: t0 + 34_000,
    phases: tl.phases,
    setup: [{ index: 0, kind: "loaders", description: "2 loaders, 3000 messages at 100/s", error: message }],
    faults: [{ name: "slow-kafka", type: "network-latency", verdict: "not-run", message: "not run: an earlier step stopped the scenario" }],
    steadyState: [],
    expectations: [
      { index: 0, kind: "healer.actions", description: "healer replaced 0 Jobs", verdict: "skipped", message: "not judged: setup failed" },
      { index: 1, kind: "kafka.ledger", description: "no acknowledged record lost", verdict: "skipped", message: "not judged: setup failed" },
    ],
    leaks: [],
    reverts: { reverted: 1, failed: [] },
    timeline: tl.toJSON(),
    fingerprint: FIXTURE_FINGERPRINT,
  };
}

/** The three scenarios, run one after the other from `t0`. */
export function fixtureResults(t0 = FIXTURE_T0): ScenarioResult[] {
  return [loaderPodDelete(t0), brokerCrash(t0 + 100_000), kafkaLatencyBroken(t0 + 280_000)];
}
