/**
 * Network fault handles through Toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api):
 * one proxy per broker on the workloads' path, a latency toxic per targeted broker.
 *
 * Plain `fetch` rather than toxiproxy-node-client: four calls, an injectable fetch for unit tests, and
 * errors that name the proxy, the toxic and the API URL.
 */
import type { KafkaNetworkHandles, LatencyToxicSpec, ToxicRef } from "../provider.ts";

export type Fetch = typeof fetch;

interface ToxicBody {
  name: string;
  type: string;
  stream: "upstream" | "downstream";
  toxicity: number;
  attributes: Record<string, number>;
}

interface ProxyBody {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicBody[];
}

const REQUEST_TIMEOUT_MS = 10_000;

export class ToxiproxyNetworkHandles implements KafkaNetworkHandles {
  constructor(
    /** e.g. `http://127.0.0.1:30474` */
    private readonly apiUrl: string,
    /** Proxy name per broker node id. */
    private readonly proxyNames: ReadonlyMap<number, string>,
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async addLatency(nodeIds: number[], name: string, spec: LatencyToxicSpec): Promise<ToxicRef[]> {
    const added: ToxicRef[] = [];
    try {
      for (const nodeId of nodeIds) {
        const proxy = this.proxyName(nodeId);
        const body: ToxicBody = {
          name,
          type: "latency",
          stream: spec.direction,
          toxicity: 1,
          attributes: { latency: spec.latencyMs, jitter: spec.jitterMs },
        };
        await this.request("POST", `/proxies/${proxy}/toxics`, `add latency toxic "${name}" to proxy ${proxy} (broker ${nodeId})`, body);
        added.push({ nodeId, name });
      }
    } catch (error) {
      // All or nothing: a half-applied fault would make the scenario's evidence lie.
      await Promise.allSettled(added.map((ref) => this.removeToxic(ref)));
      throw error;
    }
    return added;
  }

  /** Idempotent: removing a toxic that is already gone is not an error (revert journal replays). */
  async removeToxic(ref: ToxicRef): Promise<void> {
    const proxy = this.proxyName(ref.nodeId);
    await this.request("DELETE", `/proxies/${proxy}/toxics/${encodeURIComponent(ref.name)}`, `remove toxic "${ref.name}" from proxy ${proxy}`, undefined, [404]);
  }

  async listToxics(): Promise<ToxicRef[]> {
    const proxies = (await this.request("GET", "/proxies", "list Toxiproxy proxies")) as Record<string, ProxyBody>;
    const refs: ToxicRef[] = [];
    for (const [nodeId, proxyName] of this.proxyNames) {
      for (const toxic of proxies[proxyName]?.toxics ?? []) refs.push({ nodeId, name: toxic.name });
    }
    return refs;
  }

  /** Proxy names the API knows (for status and the "proxies are there" check after `up`). */
  async proxyNamesPresent(): Promise<string[]> {
    return Object.keys((await this.request("GET", "/proxies", "list Toxiproxy proxies")) as Record<string, ProxyBody>);
  }

  private proxyName(nodeId: number): string {
    const name = this.proxyNames.get(nodeId);
    if (!name) {
      throw new Error(
        `no Toxiproxy proxy for broker ${nodeId}; proxies exist for brokers ${[...this.proxyNames.keys()].join(", ")}. ` +
          `What to do: target one of those node ids.`,
      );
    }
    return name;
  }

  private async request(method: string, path: string, what: string, body?: unknown, acceptedStatuses: number[] = []): Promise<unknown> {
    const url = `${this.apiUrl}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(
        `${what}: Toxiproxy API ${url} did not answer (${(error as Error).message}). ` +
          `What to do: check the kafka-proxy Deployment in namespace kafka and that the lab is up (\`chaoslab lab status\`).`,
      );
    }
    if (acceptedStatuses.includes(response.status)) return undefined;
    if (response.ok) {
      const text = await response.text();
      try {
        return text === "" ? undefined : (JSON.parse(text) as unknown);
      } catch {
        throw new Error(`${what}: ${method} ${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}. What to do: is ${this.apiUrl} really Toxiproxy's API?`);
      }
    }
    const detail = (await response.text()).trim();
    const hint =
      response.status === 409
        ? "a toxic with this name already exists: revert the previous fault first (`chaoslab cleanup`)"
        : response.status === 404
          ? "the proxy does not exist: the kafka-proxy ConfigMap (cluster/manifests/kind/toxiproxy.yaml) defines them; re-run `lab up`"
          : "see Toxiproxy's answer above";
    throw new Error(`${what}: ${method} ${url} answered ${response.status}: ${detail}. What to do: ${hint}.`);
  }
}
