import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.ts";
import { healerReplacedExpectation } from "./healer-replaced.ts";
import { isExcepted, stableForExpectation } from "./stable-for.ts";
import { expectationContext } from "../testing/probe-context.ts";

const T0 = Date.UTC(2025, 0, 1);

function healerReplaced(params: Record<string, unknown>) {
  return healerReplacedExpectation.create(healerReplacedExpectation.params.parse(params));
}

describe("healer.replaced", () => {
  function setup(deadlineMs = 300_000) {
    const clock = new ManualClock(T0);
    const harness = expectationContext({ clock, reference: T0, deadlineMs });
    const replace = (job: string, atMs: number, fields: Record<string, unknown> = {}) =>
      harness.timeline.record({ kind: "healer", action: "replaced", jobName: job, jobUid: `uid-${job}`, taskId: job, source: "queue-events", at: T0 + atMs, reason: "STOP", replacementJobName: `${job}-r1`, observedSilenceMs: 16_000, ...fields });
    return { clock, ...harness, replace };
  }

  it("passes when this Job is replaced between notBefore and within, with MTTR from the reference", async () => {
    const { clock, ctx, replace } = setup();
    const evaluation = healerReplaced({ job: "loader-1", notBefore: "20s", within: "60s", reason: "STOP", minSilence: "15s" }).evaluate(ctx);
    await clock.advance(25_000);
    replace("loader-1", 25_000);
    const outcome = await clock.runUntil(evaluation, 250);
    expect(outcome).toMatchObject({ verdict: "passed", recovery: { recoveredAt: T0 + 25_000, mttrMs: 25_000 } });
    expect(outcome.message).toBe("replaced loader-1 → loader-1-r1 at +25s (STOP) after 16s of silence");
  });

  it("fails when the healer acted before its threshold (notBefore)", async () => {
    const { clock, ctx, replace } = setup();
    const evaluation = healerReplaced({ job: "loader-1", notBefore: "20s", within: "60s" }).evaluate(ctx);
    await clock.advance(12_000);
    replace("loader-1", 12_000);
    expect(await clock.runUntil(evaluation, 250)).toMatchObject({ verdict: "failed", message: "replaced loader-1 at +12s, before notBefore 20s" });
  });

  it("fails when nothing happens within the window, naming suppressions", async () => {
    const { clock, ctx, timeline } = setup();
    timeline.record({ kind: "healer", action: "suppressed", jobName: "loader-1", jobUid: "u", taskId: "loader-1", source: "queue-events", at: T0 + 1_000 });
    const outcome = await clock.runUntil(healerReplaced({ job: "loader-1", within: "30s" }).evaluate(ctx), 500);
    expect(outcome).toMatchObject({ verdict: "failed", message: "no replacement of loader-1 by +30s; the healer suppressed 1 remediation(s)" });
  });

  it("checks the evidence: silence shorter than minSilence fails, unknown silence is inconclusive", async () => {
    const short = setup();
    short.replace("loader-1", 30_000, { observedSilenceMs: 4_000 });
    expect(await short.clock.runUntil(healerReplaced({ job: "loader-1", within: "60s", minSilence: "15s" }).evaluate(short.ctx))).toMatchObject({ verdict: "failed", message: "the healer acted after 4s of silence, less than minSilence 15s" });
    const unknown = setup();
    unknown.replace("loader-1", 30_000, { observedSilenceMs: undefined });
    expect((await unknown.clock.runUntil(healerReplaced({ job: "loader-1", within: "60s", minSilence: "15s" }).evaluate(unknown.ctx))).verdict).toBe("inconclusive");
  });

  it("exclusive: waits out the window and fails if another Job was replaced in it", async () => {
    const { clock, ctx, replace } = setup();
    const evaluation = healerReplaced({ job: "loader-1", within: "60s", exclusive: true }).evaluate(ctx);
    replace("loader-1", 0);
    await clock.advance(40_000);
    replace("loader-2", 40_000);
    expect(await clock.runUntil(evaluation, 500)).toMatchObject({ verdict: "failed", message: "the healer also replaced loader-2 at +40s" });
  });

  it("is inconclusive without the healer recorder, and rejects exclusive without within", () => {
    const { ctx } = expectationContext({ sources: [] });
    return Promise.all([
      expect(healerReplaced({ job: "loader-1", within: "1s" }).evaluate(ctx)).resolves.toMatchObject({ verdict: "inconclusive" }),
      expect(healerReplacedExpectation.params.safeParse({ job: "x", exclusive: true }).success).toBe(false),
    ]);
  });
});

describe("stableFor", () => {
  const stableFor = (params: Record<string, unknown>) => stableForExpectation.create(stableForExpectation.params.parse(params));

  it("passes when nothing but the excepted objects changed in the window", async () => {
    const clock = new ManualClock(T0);
    const { ctx, timeline } = expectationContext({ clock, reference: T0 });
    const change = (name: string, atMs: number, change: "added" | "deleted" | "modified" = "added") => timeline.record({ kind: "object", change, objectKind: "Job", namespace: "streamforge", name, uid: name, at: T0 + atMs });
    change("loader-1", 1_000, "deleted");
    change("loader-1-r1", 1_100);
    change("loader-2", 5_000, "modified");
    change("loader-3", 45_000);
    const outcome = await clock.runUntil(stableFor({ duration: "30s", kinds: ["Job"], except: ["loader-1"] }).evaluate(ctx), 1_000);
    expect(outcome).toMatchObject({ verdict: "passed" });
  });

  it("fails on a change inside the window", async () => {
    const clock = new ManualClock(T0);
    const { ctx, timeline } = expectationContext({ clock, reference: T0 });
    timeline.record({ kind: "object", change: "uid-changed", objectKind: "Job", namespace: "streamforge", name: "loader-2", uid: "b", previousUid: "a", at: T0 + 10_000 });
    const outcome = await clock.runUntil(stableFor({ duration: "30s", kinds: ["Job"], except: ["loader-1"] }).evaluate(ctx), 1_000);
    expect(outcome).toMatchObject({ verdict: "failed", message: "1 change(s) in the window: Job streamforge/loader-2 uid-changed at +10s" });
  });

  it("fails fast when the window cannot close before the scenario's timeout; no data without the recorder", async () => {
    const { ctx } = expectationContext({ deadlineMs: 10_000 });
    expect(await stableFor({ duration: "30s", kinds: ["Job"] }).evaluate(ctx)).toMatchObject({ verdict: "failed", message: expect.stringContaining("raise spec.timeout") });
    const { ctx: blind } = expectationContext({ sources: [] });
    expect(await stableFor({ duration: "1s", kinds: ["Job"] }).evaluate(blind)).toMatchObject({ verdict: "inconclusive" });
    const { ctx: elsewhere } = expectationContext({ sources: ["objects:Job", "objects:Job:streamforge"] });
    expect(await stableFor({ duration: "1s", kinds: ["Job"], namespaces: ["kafka"] }).evaluate(elsewhere)).toMatchObject({
      verdict: "inconclusive",
      message: "changes of Job in kafka are not being recorded",
    });
  });

  it("excepts a name and everything derived from it, not its prefix-siblings", () => {
    expect(["loader-1", "loader-1-r1", "loader-1-x7k2p", "loader-10"].map((name) => isExcepted(name, ["loader-1"]))).toEqual([true, true, true, false]);
  });
});
