/**
 * A small typed client of Toxiproxy's HTTP API (v2.12): the half-dozen calls the lab needs, with errors
 * that name the proxy and the toxic. (toxiproxy-node-client would add a dependency for the same calls.)
 */
export interface ToxiproxyProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

export interface Toxic {
  name: string;
  type: string;
  stream: "upstream" | "downstream";
  toxicity: number;
  attributes: Record<string, number>;
}

export class ToxiproxyApi {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Toxiproxy ${method} ${path} answered ${response.status}: ${text.trim()}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async version(): Promise<string> {
    const response = await fetch(`${this.baseUrl}/version`, { signal: AbortSignal.timeout(1_000) });
    if (!response.ok) throw new Error(`Toxiproxy /version answered ${response.status}`);
    return (await response.text()).trim();
  }

  async proxies(): Promise<Record<string, ToxiproxyProxy>> {
    return this.call("GET", "/proxies");
  }

  /** Creates the proxy, or makes an existing one match (idempotent: `lab up` may run twice). */
  async ensureProxy(name: string, listen: string, upstream: string): Promise<void> {
    const existing = (await this.proxies())[name];
    if (existing && existing.listen === listen && existing.upstream === upstream && existing.enabled) return;
    if (existing) await this.call("DELETE", `/proxies/${name}`);
    await this.call("POST", "/proxies", { name, listen, upstream, enabled: true });
  }

  async addToxic(proxy: string, toxic: Omit<Toxic, "toxicity"> & { toxicity?: number }): Promise<Toxic> {
    return this.call("POST", `/proxies/${proxy}/toxics`, { toxicity: 1, ...toxic });
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    try {
      await this.call("DELETE", `/proxies/${proxy}/toxics/${toxic}`);
    } catch (error) {
      // Removing what is already gone is success: reverts are replayed after crashes.
      if (!/answered 404/.test((error as Error).message)) throw error;
    }
  }

  async toxics(proxy: string): Promise<Toxic[]> {
    return this.call("GET", `/proxies/${proxy}/toxics`);
  }
}
