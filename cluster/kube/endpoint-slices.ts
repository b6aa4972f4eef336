/** The EndpointSlices the cluster's EndpointSlice controller keeps for a Service (real clusters' answer). */
import * as k8s from "@kubernetes/client-node";
import type { EndpointSliceView } from "../provider.ts";

export async function clusterEndpointSlices(config: k8s.KubeConfig, namespace: string, name: string): Promise<EndpointSliceView[]> {
  const discovery = config.makeApiClient(k8s.DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` });
  // Plain JSON: the judges compare and attach these as recorded, without client-node's Date objects.
  return JSON.parse(JSON.stringify(slices.items)) as EndpointSliceView[];
}
