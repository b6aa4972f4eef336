/**
 * What a pod's process is given from the API server: the ConfigMaps and Secrets its env refers to (read
 * as the lab's admin, as the kubelet does), and its own credentials.
 */
import fsp from "node:fs/promises";
import path from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { apiErrorCode } from "../../kube/apply.ts";
import type { ObjectReader } from "./pod-env.ts";

export function apiObjectReader(core: k8s.CoreV1Api): ObjectReader {
  return {
    async configMap(namespace, name) {
      try {
        return (await core.readNamespacedConfigMap({ namespace, name })).data ?? {};
      } catch (error) {
        if (apiErrorCode(error) === 404) return undefined;
        throw error;
      }
    },
    async secret(namespace, name) {
      try {
        const data = (await core.readNamespacedSecret({ namespace, name })).data ?? {};
        return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
      } catch (error) {
        if (apiErrorCode(error) === 404) return undefined;
        throw error;
      }
    },
  };
}

/**
 * A kubeconfig for the pod's process holding a token of the pod's ServiceAccount, so the pod has exactly
 * its RBAC, as in a cluster.
 */
export async function writePodKubeconfig(core: k8s.CoreV1Api, config: k8s.KubeConfig, pod: k8s.V1Pod, dir: string): Promise<string> {
  const serviceAccount = pod.spec?.serviceAccountName ?? "default";
  const namespace = pod.metadata!.namespace!;
  const token = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 24 * 3600,
        // Bound to the pod: the token stops working when the pod is deleted, as in a cluster.
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata!.name!, uid: pod.metadata!.uid! },
      },
    },
  });
  const cluster = config.getCurrentCluster()!;
  const file = path.join(dir, "kubeconfig");
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "lab", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } }],
    users: [{ name: `system:serviceaccount:${namespace}:${serviceAccount}`, user: { token: token.status!.token } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user: `system:serviceaccount:${namespace}:${serviceAccount}`, namespace } }],
    "current-context": "lab",
  };
  await fsp.writeFile(file, JSON.stringify(kubeconfig), { mode: 0o600 });
  return file;
}
