/**
 * Where the harness (and host processes it starts, such as k6) reach a Service, per provider: the lab
 * description's `serviceUrls` when the provider knows them up front, else on the sim the service proxy
 * (cluster/sim/service-proxy/), which forwards the Services that opt in with an annotation and is asked
 * live — Services created by a scenario exist only after the lab description was written.
 */
import type { LabDescription } from "./provider.ts";
import { simServiceUrl, type WaitForServiceOptions } from "./sim/service-proxy/service-urls.ts";

export async function resolveServiceUrl(description: LabDescription, key: string, options: WaitForServiceOptions = {}): Promise<string> {
  const known = description.serviceUrls[key];
  if (known) return known;
  if (description.provider === "sim") return simServiceUrl(key, options);
  throw new Error(
    `no URL for Service ${key} on the ${description.provider} provider (lab description serviceUrls: ${Object.keys(description.serviceUrls).join(", ") || "none"})`,
  );
}
