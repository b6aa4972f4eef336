/**
 * Kubernetes Events on the Job the healer acted on (`kubectl describe job` shows the story). Repeats
 * of the same reason and message on the same object within 10 minutes bump `count` instead of
 * creating a new Event (client-go's EventCorrelator does the same). Recording is best effort: an
 * Event that cannot be written is logged and counted, never a reason to fail a remediation.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../runtime/clock.ts";
import { errorMessage } from "../runtime/errors.ts";
import type { KubeApi } from "../kube/kube-api.ts";
import type { Logger } from "../runtime/logger.ts";
import type { HealerMetrics } from "./metrics.ts";

export const EVENT_REASONS = {
  stuckDetected: "StuckDetected",
  faultReported: "FaultReported",
  replacing: "Replacing",
  replaced: "Replaced",
  replacementStalled: "ReplacementStalled",
  restartBudgetExhausted: "RestartBudgetExhausted",
  remediationSuppressed: "RemediationSuppressed",
  zombieWorker: "ZombieWorker",
  overrideRejected: "OverrideRejected",
  oldAttemptLingering: "OldAttemptLingering",
} as const;
export type EventReason = (typeof EVENT_REASONS)[keyof typeof EVENT_REASONS];

export interface EventTarget {
  namespace: string;
  name: string;
  uid: string;
}

const CORRELATION_WINDOW_MS = 10 * 60_000;
const MAX_CORRELATED = 4096;

export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number; firstTimestamp: string; atMs: number }>();

  constructor(
    private readonly api: Pick<KubeApi, "createEvent" | "patchEvent">,
    private readonly clock: Clock,
    private readonly source: { component: string; instance: string },
    private readonly metrics: HealerMetrics,
    private readonly logger: Logger,
  ) {}

  async record(target: EventTarget, type: "Normal" | "Warning", reason: EventReason, message: string): Promise<void> {
    const key = `${target.uid}\u0000${reason}\u0000${message}`;
    const nowMs = this.clock.monotonicMs();
    const now = new Date(this.clock.wallMs()).toISOString();
    const previous = this.recent.get(key);
    try {
      if (previous && nowMs - previous.atMs < CORRELATION_WINDOW_MS) {
        previous.count += 1;
        previous.atMs = nowMs;
        await this.api.patchEvent(target.namespace, previous.name, { count: previous.count, lastTimestamp: now });
      } else {
        const name = `${target.name}.${randomBytes(8).toString("hex")}`;
        await this.api.createEvent(target.namespace, {
          metadata: { name, namespace: target.namespace },
          involvedObject: { apiVersion: "batch/v1", kind: "Job", name: target.name, namespace: target.namespace, uid: target.uid },
          reason,
          message: message.slice(0, 1024),
          type,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: this.source.component },
          reportingComponent: `streamforge.io/${this.source.component}`,
          reportingInstance: this.source.instance,
        });
        this.recent.set(key, { name, count: 1, firstTimestamp: now, atMs: nowMs });
        if (this.recent.size > MAX_CORRELATED) this.recent.delete(this.recent.keys().next().value as string);
      }
      this.metrics.kubeEvents.inc({ result: "success" });
    } catch (error) {
      if (previous) this.recent.delete(key);
      this.metrics.kubeEvents.inc({ result: "error" });
      this.logger.warn({ reason, job: `${target.namespace}/${target.name}`, err: errorMessage(error) }, "could not record Kubernetes Event");
    }
  }
}
