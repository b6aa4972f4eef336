/**
 * Endpoints of a Service where the cluster cannot record them. On the sim every pod IP is a loopback
 * address and the API server's validation refuses loopback addresses in EndpointSlices, so the real
 * EndpointSlice controller's slices stay empty there (it logs FailedToUpdateEndpointSlices). What a
 * slice would hold is then computed from the same real inputs — the Service's selector (which Argo
 * rewrites for the stable/canary Services) and the pods' readiness — with the rule the controller and
 * the sim's service proxy share (`podEndpoints`, cluster/sim/service-proxy/routes.ts), and handed to
 * the judges as one EndpointSlice marked `derived`.
 */
import type * as k8s from "@kubernetes/client-node";
import type { KubeReader } from "../../lab/ports.ts";
import { podEndpoints } from "../../../cluster/sim/service-proxy/routes.ts";
import type { EndpointSlice } from "./argo-rollouts-types.ts";
import type { RolloutReader } from "./rollout-snapshot.ts";

export const DERIVED_ENDPOINTS_ANNOTATION = "chaoslab.streamforge.io/derived-endpoints";

/** One EndpointSlice-shaped view of a Service's endpoints, from its selector and its pods. */
export function deriveEndpointSlice(service: k8s.V1Service, pods: readonly k8s.V1Pod[]): EndpointSlice {
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

/** `reader` with EndpointSlices replaced by derived ones (a Service that does not exist has none). */
export function withDerivedEndpoints(reader: RolloutReader, kube: KubeReader): RolloutReader {
  return {
    ...reader,
    async listEndpointSlices(namespace, serviceName) {
      const service = (await kube.get({ apiVersion: "v1", kind: "Service", namespace, name: serviceName })) as unknown as k8s.V1Service | undefined;
      if (!service) return [];
      const selector = Object.entries(service.spec?.selector ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
      if (!selector) return [];
      const pods = (await kube.list({ apiVersion: "v1", kind: "Pod", namespace, labelSelector: selector })) as unknown as k8s.V1Pod[];
      return [deriveEndpointSlice(service, JSON.parse(JSON.stringify(pods)) as k8s.V1Pod[])];
    },
  };
}
