/**
 * Revision N's baseline, handed from the setup action that makes the change (`canary`) to the rollout
 * probe that judges it, through the run's shared resources: canary.md wants the stable hash recorded
 * while N was Healthy, before the change — not read back from the state being judged.
 */
import type { SharedResources } from "../../core/context.ts";
import type { RolloutBaseline } from "./rollout-judgement.ts";

interface BaselineHolder {
  baseline?: RolloutBaseline;
  close(): Promise<void>;
}

const key = (namespace: string, name: string) => `rollout-baseline:${namespace}/${name}`;
const holder = (shared: SharedResources, namespace: string, name: string) =>
  shared.get<BaselineHolder>(key(namespace, name), () => ({ baseline: undefined, close: async () => undefined }));

export async function recordRolloutBaseline(shared: SharedResources, namespace: string, name: string, baseline: RolloutBaseline): Promise<void> {
  (await holder(shared, namespace, name)).baseline = baseline;
}

export async function readRolloutBaseline(shared: SharedResources | undefined, namespace: string, name: string): Promise<RolloutBaseline | undefined> {
  if (!shared) return undefined;
  return (await holder(shared, namespace, name)).baseline;
}
