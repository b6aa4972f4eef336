/**
 * How the host reaches Services of a real cluster (kind, existing): through the API server's service
 * proxy; Argo's controller runs in the cluster, so the manifests' DNS names serve it; EndpointSlices are
 * the controller's own. The sim answers the same questions differently (its service proxy).
 */
import type { ServiceAccess, StartedLab } from "../provider.ts";
import { provideK6 } from "../tools/k6.ts";
import { loadKubeConfig } from "./apply.ts";
import { clusterEndpointSlices } from "./endpoint-slices.ts";
import { serviceProxyUrl } from "./service-forwarder.ts";

export function realClusterServices(kubeconfig: string): ServiceAccess {
  return {
    hostUrl: (namespace, name, options) => serviceProxyUrl(kubeconfig, namespace, name, options),
    controllerUrl: async () => undefined,
    endpointSlices: (namespace, name) => clusterEndpointSlices(loadKubeConfig(kubeconfig), namespace, name),
    // Cluster DNS names and the API server's service proxy both carry the namespace: copies need no placing.
    applyCopies: (objects, _seed, apply) => apply([...objects]),
  };
}

/** What a real cluster's lab offers the harness besides Kafka and the network: Services, and k6 on this host. */
export function realClusterAccess(kubeconfig: string): Pick<StartedLab, "services" | "tools"> {
  return { services: realClusterServices(kubeconfig), tools: { k6: (options) => provideK6(options) } };
}
