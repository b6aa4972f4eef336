/**
 * The one typed client of Toxiproxy's HTTP API (v2.12, https://github.com/Shopify/toxiproxy#http-api):
 * the calls the lab needs on every provider, an injectable fetch for unit tests, and errors that name
 * the proxy, the toxic, the API URL and what to do. (toxiproxy-node-client would add a dependency for
 * the same six calls, without the errors.)
 */
export type Fetch = typeof fetch;

export interface ToxicBody {
  name: string;
  type: string;
  stream: "upstream" | "downstream";
  toxicity: number;
  attributes: Record<string, number>;
}

export interface ProxyBody {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicBody[];
}

const REQUEST_TIMEOUT_MS = 10_000;

export class ToxiproxyApi {
  constructor(
    /** e.g. `http://127.0.0.1:32474` */
    readonly baseUrl: string,
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  async version(): Promise<string> {
    return String((await this.request("GET", "/version", "read Toxiproxy's version", undefined, [], { timeoutMs: 2_000, text: true })) ?? "").trim();
  }

  async proxies(): Promise<Record<string, ProxyBody>> {
    return (await this.request("GET", "/proxies", "list Toxiproxy proxies")) as Record<string, ProxyBody>;
  }

  /** Creates the proxy, or makes an existing one match (idempotent: `lab up` may run twice). */
  async ensureProxy(name: string, listen: string, upstream: string): Promise<void> {
    const existing = (await this.proxies())[name];
    if (existing && existing.listen === listen && existing.upstream === upstream && existing.enabled) return;
    if (existing) await this.request("DELETE", `/proxies/${encodeURIComponent(name)}`, `delete proxy ${name}`);
    await this.request("POST", "/proxies", `create proxy ${name} (${listen} → ${upstream})`, { name, listen, upstream, enabled: true });
  }

  async addToxic(proxy: string, toxic: Omit<ToxicBody, "toxicity"> & { toxicity?: number }): Promise<void> {
    await this.request("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, `add ${toxic.type} toxic "${toxic.name}" to proxy ${proxy}`, { toxicity: 1, ...toxic });
  }

  /** Removing what is already gone is success: reverts are replayed after crashes. */
  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.request("DELETE", `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`, `remove toxic "${toxic}" from proxy ${proxy}`, undefined, [404]);
  }

  private async request(
    method: string,
    path: string,
    what: string,
    body?: unknown,
    acceptedStatuses: number[] = [],
    options: { timeoutMs?: number; text?: boolean } = {},
  ): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(
        `${what}: Toxiproxy API ${url} did not answer (${(error as Error).message}). ` +
          "What to do: check that the lab is up (`chaoslab lab status`) and that its Toxiproxy runs.",
      );
    }
    if (acceptedStatuses.includes(response.status)) return undefined;
    const text = await response.text();
    if (response.ok) {
      if (options.text) return text;
      try {
        return text === "" ? undefined : (JSON.parse(text) as unknown);
      } catch {
        throw new Error(`${what}: ${method} ${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}. What to do: is ${this.baseUrl} really Toxiproxy's API?`);
      }
    }
    const hint =
      response.status === 409
        ? "a toxic with this name already exists: revert the previous fault first (`chaoslab cleanup`)"
        : response.status === 404
          ? "the proxy does not exist: `lab up` creates one per broker; run it again"
          : "see Toxiproxy's answer above";
    throw new Error(`${what}: ${method} ${url} answered ${response.status}: ${text.trim()}. What to do: ${hint}.`);
  }
}
