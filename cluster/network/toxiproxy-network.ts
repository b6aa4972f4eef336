/**
 * Network fault handles through Toxiproxy, the same on every provider: one proxy per broker on the
 * workloads' path, one toxic per targeted broker. The provider says which proxy serves which broker
 * and where this machine reaches each broker by each path (`brokerPaths`).
 */
import type { BrokerPaths, KafkaNetworkHandles, ToxicRef, ToxicSpec } from "../provider.ts";
import { type Fetch, type ToxicBody, ToxiproxyApi } from "./toxiproxy-api.ts";

/** A typed spec as Toxiproxy's toxic body (type names and attribute units as its API wants them). */
export function toxicBody(name: string, spec: ToxicSpec): Omit<ToxicBody, "toxicity"> & { toxicity?: number } {
  const base = { name, stream: spec.direction, ...(spec.toxicity === undefined ? {} : { toxicity: spec.toxicity }) };
  switch (spec.kind) {
    case "latency":
      return { ...base, type: "latency", attributes: { latency: spec.latencyMs, jitter: spec.jitterMs } };
    case "bandwidth":
      return { ...base, type: "bandwidth", attributes: { rate: spec.rateKBps } };
    case "timeout":
      return { ...base, type: "timeout", attributes: { timeout: spec.timeoutMs } };
    case "reset-peer":
      return { ...base, type: "reset_peer", attributes: { timeout: spec.timeoutMs } };
    case "limit-data":
      return { ...base, type: "limit_data", attributes: { bytes: spec.bytes } };
    case "slicer":
      return { ...base, type: "slicer", attributes: { average_size: spec.averageSizeBytes, size_variation: spec.sizeVariationBytes, delay: spec.delayUs } };
  }
}

export class ToxiproxyNetworkHandles implements KafkaNetworkHandles {
  private readonly api: ToxiproxyApi;

  constructor(
    apiUrl: string,
    /** Proxy name per broker node id. */
    private readonly proxyNames: ReadonlyMap<number, string>,
    private readonly paths: () => Promise<BrokerPaths[]>,
    fetchImpl: Fetch = fetch,
  ) {
    this.api = new ToxiproxyApi(apiUrl, fetchImpl);
  }

  async addToxic(nodeIds: number[], name: string, spec: ToxicSpec): Promise<ToxicRef[]> {
    const added: ToxicRef[] = [];
    try {
      for (const nodeId of nodeIds) {
        const proxy = this.proxyName(nodeId);
        await this.api.addToxic(proxy, toxicBody(name, spec));
        added.push({ nodeId, name });
      }
    } catch (error) {
      // All or nothing: a half-applied fault would make the scenario's evidence lie.
      await Promise.allSettled(added.map((ref) => this.removeToxic(ref)));
      throw error;
    }
    return added;
  }

  async removeToxic(ref: ToxicRef): Promise<void> {
    await this.api.removeToxic(this.proxyName(ref.nodeId), ref.name);
  }

  async listToxics(): Promise<ToxicRef[]> {
    const proxies = await this.api.proxies();
    const refs: ToxicRef[] = [];
    for (const [nodeId, proxyName] of this.proxyNames) {
      for (const toxic of proxies[proxyName]?.toxics ?? []) refs.push({ nodeId, name: toxic.name });
    }
    return refs;
  }

  brokerPaths(): Promise<BrokerPaths[]> {
    return this.paths();
  }

  /** Proxy names the API knows (for status and the "proxies are there" check after `up`). */
  async proxyNamesPresent(): Promise<string[]> {
    return Object.keys(await this.api.proxies());
  }

  private proxyName(nodeId: number): string {
    const name = this.proxyNames.get(nodeId);
    if (!name) {
      throw new Error(
        `no Toxiproxy proxy for broker ${nodeId}; proxies exist for brokers ${[...this.proxyNames.keys()].join(", ")}. ` +
          "What to do: target one of those node ids.",
      );
    }
    return name;
  }
}
