/**
 * What the setup action that makes the change (`canary`) hands to the rollout probe that judges it,
 * through the run's shared resources:
 *   - revision N's baseline: canary.md wants the stable hash recorded while N was Healthy, before the
 *     change — not read back from the state being judged;
 *   - where the Rollout lives: a canary in its own namespace (`ownNamespace`) deploys into one named
 *     after the run, which no scenario file can spell, so the setup is the one source of that name.
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

interface NamespaceHolder {
  namespace?: string;
  close(): Promise<void>;
}

const namespaceHolder = (shared: SharedResources, name: string) =>
  shared.get<NamespaceHolder>(`rollout-namespace:${name}`, () => ({ namespace: undefined, close: async () => undefined }));

/** The namespace this run deployed Rollout `name` into (recorded before anything is applied). */
export async function recordRolloutNamespace(shared: SharedResources, name: string, namespace: string): Promise<void> {
  (await namespaceHolder(shared, name)).namespace = namespace;
}

/** Where this run put Rollout `name`, or undefined when no setup of the run deployed it. */
export async function readRolloutNamespace(shared: SharedResources | undefined, name: string): Promise<string | undefined> {
  if (!shared) return undefined;
  return (await namespaceHolder(shared, name)).namespace;
}
