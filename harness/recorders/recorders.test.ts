import { describe, expect, it } from "vitest";
import { ObjectTracker } from "./object-tracker.ts";
import { HealerDecisionFolder, healerDecisionFromEvent } from "./healer-decisions.ts";
import type { QueueEvent } from "../../workloads/queue-events/contract.ts";

describe("object tracker", () => {
  it("ignores the baseline and status updates; reports adds, deletes and UID changes", () => {
    const tracker = new ObjectTracker("Job");
    tracker.baseline([{ namespace: "sf", name: "loader-1", uid: "u1" }]);
    expect(tracker.observe("MODIFIED", { namespace: "sf", name: "loader-1", uid: "u1" })).toBeUndefined();
    expect(tracker.observe("DELETED", { namespace: "sf", name: "loader-1", uid: "u1" })).toMatchObject({ change: "deleted", name: "loader-1" });
    expect(tracker.observe("ADDED", { namespace: "sf", name: "loader-1-r1", uid: "u2" })).toMatchObject({ change: "added", objectKind: "Job" });
    expect(tracker.observe("ADDED", { namespace: "sf", name: "loader-1-r1", uid: "u3" })).toMatchObject({ change: "uid-changed", previousUid: "u2", uid: "u3" });
  });

  it("resyncs after a watch gap", () => {
    const tracker = new ObjectTracker("Pod");
    tracker.baseline([{ namespace: "sf", name: "a", uid: "1" }, { namespace: "sf", name: "b", uid: "2" }]);
    const changes = tracker.resync([{ namespace: "sf", name: "b", uid: "3" }, { namespace: "sf", name: "c", uid: "4" }]);
    expect(changes.map((change) => `${change.change} ${change.name}`)).toEqual(["deleted a", "uid-changed b", "added c"]);
  });
});

const event = (fields: Partial<QueueEvent>): QueueEvent => ({
  v: 1,
  type: "heartbeat",
  jobUid: "uid-1",
  jobName: "loader-1",
  namespace: "sf",
  taskId: "loader-1",
  attempt: 0,
  seq: 0,
  ts: 0,
  ...fields,
});

describe("healer decisions", () => {
  it("maps healer.* records to timeline entries, with the silence the harness itself observed", () => {
    const folder = new HealerDecisionFolder();
    expect(folder.fold(event({ type: "heartbeat", ts: 1_000 }))).toBeUndefined();
    expect(folder.fold(event({ type: "progress", ts: 2_000 }))).toBeUndefined();
    expect(folder.fold(event({ type: "healer.replaced", ts: 9_500, reason: "STOP", replacementJobName: "loader-1-r1" }))).toEqual({
      kind: "healer",
      action: "replaced",
      jobName: "loader-1",
      jobUid: "uid-1",
      taskId: "loader-1",
      reason: "STOP",
      replacementJobName: "loader-1-r1",
      replacementJobUid: undefined,
      source: "queue-events",
      at: 9_500,
      observedSilenceMs: 7_500,
    });
    expect(folder.fold(event({ type: "healer.detected", jobUid: "never-heard", ts: 5 }))?.observedSilenceMs).toBeUndefined();
  });

  it("maps the healer's Kubernetes Events on Jobs", () => {
    expect(healerDecisionFromEvent({ reason: "Replaced", involvedObject: { kind: "Job", name: "loader-2-r1", uid: "u" }, at: 5, message: "replaced after STALL" })).toMatchObject({
      action: "replaced",
      taskId: "loader-2",
      reason: "STALL",
      source: "k8s-event",
    });
    expect(healerDecisionFromEvent({ reason: "Scheduled", involvedObject: { kind: "Pod", name: "x" }, at: 5 })).toBeUndefined();
  });
});
