/**
 * Endpoints of a Service where the cluster cannot record them. On the sim every pod IP is a loopback
 * address and the API server's validation refuses loopback addresses in EndpointSlices, so the real
 * EndpointSlice controller's slices stay empty there (it logs FailedToUpdateEndpointSlices). What a
 * slice would hold is then computed from the same real inputs — the Service's selector (which Argo
 * rewrites for the stable/canary Services) and the pods' readiness — with the rule the controller and
 * the sim's service proxy share (`podEndpoints`, service-proxy/routes.ts), and handed out as one
 * EndpointSlice marked `derived`. This is the sim's answer to `StartedLab.services.endpointSlices`.
 */
import * as k8s from "@kubernetes/client-node";
import type { EndpointSliceView } from "../../provider.ts";
import { apiErrorCode } from "../../kube/apply.ts";
import { podEndpoints } from "../service-proxy/routes.ts";

const DERIVED_ENDPOINTS_ANNOTATION = "chaoslab.streamforge.io/derived-endpoints";

/** One EndpointSlice-shaped view of a Service's endpoints, from its selector and its pods. */
export function deriveEndpointSlice(service: k8s.V1Service, pods: readonly k8s.V1Pod[]): EndpointSliceView {
  const port = service.spec?.ports?.[0];
  const endpoints = port ? podEndpoints(service, port, pods) : [];
  return {
    metadata: {
      name: `${service.metadata?.name ?? ""}-derived`,
      namespace: service.metadata?.namespace,
      labels: { "kubernetes.io/service-name": service.metadata?.name ?? "" },
      annotations: { [DERIVED_ENDPOINTS_ANNOTATION]: "computed from the Service's selector and pod readiness: the sim's API server refuses loopback pod IPs in EndpointSlices" },
    },
    endpoints: endpoints.map((endpoint) => ({
      addresses: [endpoint.address],
      conditions: { ready: endpoint.ready, serving: endpoint.serving, terminating: endpoint.terminating },
      targetRef: { kind: "Pod", name: endpoint.pod, namespace: service.metadata?.namespace },
    })),
  };
}

/** The derived slices of `<namespace>/<name>` (none for a Service that does not exist or selects nothing). */
export async function derivedEndpointSlices(config: k8s.KubeConfig, namespace: string, name: string): Promise<EndpointSliceView[]> {
  const core = config.makeApiClient(k8s.CoreV1Api);
  let service: k8s.V1Service;
  try {
    service = await core.readNamespacedService({ namespace, name });
  } catch (error) {
    if (apiErrorCode(error) === 404) return [];
    throw error;
  }
  const selector = Object.entries(service.spec?.selector ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  if (!selector) return [];
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  return [deriveEndpointSlice(service, pods.items)];
}
