/**
 * Network fault handles through Toxiproxy, the same on every provider: one proxy per broker on the
 * workloads' path (and per broker and Kafka lane where the provider has lanes), one toxic per targeted broker. The provider says which proxy serves which broker
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

/** Where a provider has Kafka lanes (KafkaNetworkHandles.lanes): their numbers, proxies and paths. */
export interface ToxiproxyLanes {
  lanes: readonly number[];
  /** Proxy name per broker node id on one lane. */
  proxyNames(lane: number): ReadonlyMap<number, string>;
  paths(lane: number): Promise<BrokerPaths[]>;
}

export class ToxiproxyNetworkHandles implements KafkaNetworkHandles {
  private readonly api: ToxiproxyApi;
  readonly lanes?: readonly number[];

  constructor(
    private readonly apiUrl: string,
    /** Proxy name per broker node id (on the lane, for handles bound to one). */
    private readonly proxyNames: ReadonlyMap<number, string>,
    private readonly paths: () => Promise<BrokerPaths[]>,
    private readonly fetchImpl: Fetch = fetch,
    private readonly laneLayout?: ToxiproxyLanes,
    /** Set on handles bound to a lane (`onLane`). */
    readonly lane?: number,
  ) {
    this.api = new ToxiproxyApi(apiUrl, fetchImpl);
    if (laneLayout && lane === undefined) this.lanes = laneLayout.lanes;
  }

  onLane(lane: number): KafkaNetworkHandles {
    if (!this.laneLayout?.lanes.includes(lane) || this.lane !== undefined) {
      throw new Error(`no Kafka lane ${lane} here (lanes: ${this.laneLayout?.lanes.join(", ") || "none"}${this.lane === undefined ? "" : `; these handles are already on lane ${this.lane}`})`);
    }
    const layout = this.laneLayout;
    return new ToxiproxyNetworkHandles(this.apiUrl, layout.proxyNames(lane), () => layout.paths(lane), this.fetchImpl, layout, lane);
  }

  async addToxic(nodeIds: number[], name: string, spec: ToxicSpec): Promise<ToxicRef[]> {
    const added: ToxicRef[] = [];
    try {
      for (const nodeId of nodeIds) {
        const proxy = this.proxyName(nodeId);
        await this.api.addToxic(proxy, toxicBody(name, spec));
        added.push({ nodeId, name, ...(this.lane === undefined ? {} : { lane: this.lane }) });
      }
    } catch (error) {
      // All or nothing: a half-applied fault would make the scenario's evidence lie.
      await Promise.allSettled(added.map((ref) => this.removeToxic(ref)));
      throw error;
    }
    return added;
  }

  async removeToxic(ref: ToxicRef): Promise<void> {
    await this.api.removeToxic(this.proxyName(ref.nodeId, ref.lane ?? this.lane), ref.name);
  }

  /** On a lane: that lane's toxics. Otherwise every toxic on the workloads' proxies, the lanes' included. */
  async listToxics(): Promise<ToxicRef[]> {
    const proxies = await this.api.proxies();
    const refs: ToxicRef[] = [];
    const collect = (names: ReadonlyMap<number, string>, lane: number | undefined) => {
      for (const [nodeId, proxyName] of names) {
        for (const toxic of proxies[proxyName]?.toxics ?? []) refs.push({ nodeId, name: toxic.name, ...(lane === undefined ? {} : { lane }) });
      }
    };
    collect(this.proxyNames, this.lane);
    if (this.lane === undefined) for (const lane of this.lanes ?? []) collect(this.laneLayout!.proxyNames(lane), lane);
    return refs;
  }

  brokerPaths(): Promise<BrokerPaths[]> {
    return this.paths();
  }

  /** Proxy names the API knows (for status and the "proxies are there" check after `up`). */
  async proxyNamesPresent(): Promise<string[]> {
    return Object.keys(await this.api.proxies());
  }

  private proxyName(nodeId: number, lane: number | undefined = this.lane): string {
    const names = lane === undefined || lane === this.lane ? this.proxyNames : this.laneLayout?.lanes.includes(lane) ? this.laneLayout.proxyNames(lane) : undefined;
    if (!names) throw new Error(`no Kafka lane ${lane} on this lab (lanes: ${this.laneLayout?.lanes.join(", ") || "none"}). What to do: run \`chaoslab cleanup\` on the lab that made it.`);
    const name = names.get(nodeId);
    if (!name) {
      throw new Error(
        `no Toxiproxy proxy for broker ${nodeId}; proxies exist for brokers ${[...names.keys()].join(", ")}. ` +
          "What to do: target one of those node ids.",
      );
    }
    return name;
  }
}
