import { describe, expect, it } from "vitest";
import { ANNOTATIONS, LABELS } from "../../../workloads/queue-events/contract.ts";
import { HEALER_ANNOTATIONS } from "../state/job-facts.ts";
import type { JobJson } from "../kube/kube-types.ts";
import { buildReplacementJob, deleteOptionsFor, replacementName } from "./replacement-spec.ts";
import { loaderJob } from "../testing/fixtures.ts";

/** The old Job as the API server returns it: generated selector and labels, status, server fields. */
function serverJob(): JobJson {
  const job = loaderJob("loader-3", { annotations: { [ANNOTATIONS.silenceThreshold]: "30s", [ANNOTATIONS.restartHistory]: "[]" } });
  const uid = "0b5c-old";
  job.metadata = {
    ...job.metadata,
    uid,
    resourceVersion: "4242",
    generation: 1,
    creationTimestamp: "2025-01-01T00:00:00Z",
    managedFields: [{ manager: "kubectl" }],
    ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: "cron-uid", controller: true }],
    finalizers: ["example.com/keep"],
    labels: { ...job.metadata.labels, "batch.kubernetes.io/controller-uid": uid, "controller-uid": uid },
    annotations: { ...job.metadata.annotations, "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
  };
  job.spec = {
    ...job.spec,
    selector: { matchLabels: { "batch.kubernetes.io/controller-uid": uid } },
    manualSelector: false,
    template: {
      metadata: {
        labels: {
          ...job.spec?.template?.metadata?.labels,
          "batch.kubernetes.io/controller-uid": uid,
          "controller-uid": uid,
          "batch.kubernetes.io/job-name": "loader-3",
          "job-name": "loader-3",
        },
      },
      spec: { ...job.spec?.template?.spec, futureField: { keep: "me" } },
    },
  };
  job.status = { active: 1, conditions: [] };
  return job;
}

describe("replacement spec", () => {
  const plan = { taskId: "loader-3", attempt: 1, replacesUid: "0b5c-old", reason: "STOP", restartHistory: '["2025-01-01T00:01:00.000Z"]' };

  it("is the old spec minus the selector and controller-uid / job-name template labels", () => {
    const replacement = buildReplacementJob(serverJob(), plan);
    expect(replacement.spec?.selector).toBeUndefined();
    expect(replacement.spec?.manualSelector).toBeUndefined();
    const templateLabels = replacement.spec?.template?.metadata?.labels ?? {};
    for (const label of ["controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name"]) {
      expect(templateLabels[label]).toBeUndefined();
      expect(replacement.metadata.labels?.[label]).toBeUndefined();
    }
    expect(templateLabels).toMatchObject({ app: "loader", [LABELS.managed]: "true", [LABELS.taskId]: "loader-3", [LABELS.attempt]: "1" });
  });

  it("drops uid, resourceVersion, managedFields, ownerReferences, status and other server-owned metadata", () => {
    const replacement = buildReplacementJob(serverJob(), plan);
    expect(replacement.status).toBeUndefined();
    for (const key of ["uid", "resourceVersion", "managedFields", "ownerReferences", "creationTimestamp", "generation", "finalizers"]) {
      expect(replacement.metadata[key]).toBeUndefined();
    }
    expect(replacement.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toBeUndefined();
  });

  it("keeps everything else of the pod template, including fields this client does not know", () => {
    const replacement = buildReplacementJob(serverJob(), plan);
    expect(replacement.spec?.template?.spec).toMatchObject({ restartPolicy: "Never", futureField: { keep: "me" } });
    expect(replacement.spec?.podFailurePolicy).toEqual(serverJob().spec?.podFailurePolicy);
    expect(replacement.metadata.annotations?.[ANNOTATIONS.silenceThreshold]).toBe("30s");
  });

  it("is named <task>-r<N>, labelled with task and attempt, annotated with replaces-uid, reason, history, and created suspended", () => {
    const replacement = buildReplacementJob(serverJob(), plan);
    expect(replacement.metadata.name).toBe("loader-3-r1");
    expect(replacement.metadata.namespace).toBe("streamforge");
    expect(replacement.metadata.labels).toMatchObject({ [LABELS.taskId]: "loader-3", [LABELS.attempt]: "1", [LABELS.managed]: "true" });
    expect(replacement.metadata.annotations).toMatchObject({
      [ANNOTATIONS.replacesUid]: "0b5c-old",
      [ANNOTATIONS.reason]: "STOP",
      [ANNOTATIONS.restartHistory]: '["2025-01-01T00:01:00.000Z"]',
      [HEALER_ANNOTATIONS.replacementPending]: "true",
      [HEALER_ANNOTATIONS.replacesName]: "loader-3",
    });
    expect(replacement.spec?.suspend).toBe(true);
  });

  it("never copies a gave-up mark or a previous replacement's replaces-uid", () => {
    const old = serverJob();
    old.metadata.annotations = { ...old.metadata.annotations, [ANNOTATIONS.gaveUp]: "x", [ANNOTATIONS.replacesUid]: "older" };
    const replacement = buildReplacementJob(old, plan);
    expect(replacement.metadata.annotations?.[ANNOTATIONS.gaveUp]).toBeUndefined();
    expect(replacement.metadata.annotations?.[ANNOTATIONS.replacesUid]).toBe("0b5c-old");
  });

  it("does not modify the old object", () => {
    const old = serverJob();
    const before = structuredClone(old);
    buildReplacementJob(old, plan);
    expect(old).toEqual(before);
  });

  it("names are deterministic, valid DNS labels of at most 63 characters", () => {
    expect(replacementName("loader-3", 2)).toBe("loader-3-r2");
    const long = replacementName("a".repeat(70), 12);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long).toBe(replacementName("a".repeat(70), 12));
    expect(replacementName("Task_One", 1)).toMatch(/^task-one-[0-9a-f]{6}-r1$/);
    expect(replacementName("Task_One", 1)).not.toBe(replacementName("task-one", 1));
  });

  it("delete options carry propagationPolicy and the UID precondition (sent as the request body)", () => {
    expect(deleteOptionsFor("0b5c-old")).toEqual({
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
      preconditions: { uid: "0b5c-old" },
    });
  });
});
