/**
 * The leak audit, after every scenario whatever ran: nothing a fault or this run created may be left on
 * the lab. A leak makes the run broken and names how to clean it by hand.
 */
import type { Leak } from "../../reports/results/scenario-result.ts";
import { RUN_ID_LABEL } from "../core/safety.ts";
import type { ScenarioRun, ScenarioRunDeps } from "./run-state.ts";

/** How long the audit waits for pods of deleted setup Jobs to be gone (garbage collection is async). */
const AUDIT_SETTLE_MS = 15_000;

export async function auditRun(run: ScenarioRun): Promise<void> {
  run.enterPhase("leakAudit");
  const namespaces = [...new Set([...run.spec.safety.allowedNamespaces, ...run.lab.description.namespaces])];
  // Listing namespaces takes a cluster-wide permission a user of an `existing` cluster may lack: asked
  // only of runs whose setup made a namespace of their own (a canary's `ownNamespace`).
  const ownNamespaces = run.spec.setup.some((action) => (action.params as { ownNamespace?: unknown } | undefined)?.ownNamespace === true);
  run.leaks.push(...(await auditLeaks(run.deps, run.runId, namespaces, { ownNamespaces })));
  for (const leak of run.leaks) run.fail("broken", "leak-audit", `${leak.what} (fix: ${leak.fix})`);
  run.leavePhase();
}

/**
 * Leaks after a scenario: whatever the fault modules look for (toxics, stopped brokers), and objects
 * still carrying this run's label: Jobs and Pods in the audited namespaces, and with `ownNamespaces` a
 * Namespace of the run's own (a canary's, harness/setup/canary-namespace.ts), which teardown deletes
 * and waits out. Pods of
 * deleted Jobs are garbage-collected asynchronously, so the label check waits a little for them.
 */
export async function auditLeaks(
  deps: Pick<ScenarioRunDeps, "catalog" | "lab" | "ports" | "clock">,
  runId: string | undefined,
  namespaces: string[],
  options: { ownNamespaces?: boolean } = {},
): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for (const type of deps.catalog.faults) {
    if (!type.audit) continue;
    try {
      // Types that share a resource (every Toxiproxy fault sees every toxic) report the same leak: once is enough.
      for (const leak of await type.audit({ lab: deps.lab, kube: deps.ports.kube, runId, namespaces })) {
        if (!leaks.some((seen) => seen.what === leak.what)) leaks.push(leak);
      }
    } catch (error) {
      leaks.push({ what: `could not audit ${type.type} leftovers: ${(error as Error).message}`, fix: "check the lab by hand (`chaoslab lab status`)" });
    }
  }
  if (runId === undefined) return leaks;
  const selector = `${RUN_ID_LABEL}=${runId}`;
  const settleUntil = deps.clock.now() + AUDIT_SETTLE_MS;
  for (;;) {
    const remaining: Leak[] = [];
    const workload = (what: string) => remaining.push({ what: `${what} (labelled ${selector}) still exists`, fix: `kubectl delete job,pod -A -l ${selector}` });
    try {
      for (const namespace of namespaces) {
        for (const job of await deps.ports.kube.list({ apiVersion: "batch/v1", kind: "Job", namespace, labelSelector: selector })) {
          if (!job.metadata.deletionTimestamp) workload(`Job ${namespace}/${job.metadata.name}`);
        }
        for (const pod of await deps.ports.kube.listPods(namespace, selector)) if (!pod.terminating) workload(`Pod ${namespace}/${pod.name}`);
      }
      // Terminating counts too: teardown waits until the namespace is gone, so one still here is stuck.
      const ownNamespaces = options.ownNamespaces ? await deps.ports.kube.list({ apiVersion: "v1", kind: "Namespace", labelSelector: selector }) : [];
      for (const namespace of ownNamespaces) {
        const state = namespace.metadata.deletionTimestamp ? "still terminating" : "still exists";
        remaining.push({ what: `Namespace ${namespace.metadata.name} (labelled ${selector}) ${state}`, fix: `kubectl get all -n ${namespace.metadata.name}; kubectl delete namespace ${namespace.metadata.name}` });
      }
    } catch (error) {
      leaks.push({ what: `could not list objects labelled ${selector}: ${(error as Error).message}`, fix: "check the lab by hand" });
      return leaks;
    }
    if (remaining.length === 0) return leaks;
    if (deps.clock.now() >= settleUntil) {
      leaks.push(...remaining);
      return leaks;
    }
    await deps.clock.sleep(1_000);
  }
}
