/**
 * Resolves a container's environment from the pod spec the way the kubelet does: `value`, downward
 * API `fieldRef`s, `configMapKeyRef`/`secretKeyRef`, and `envFrom`. A missing non-optional reference
 * is an error naming the pod, the variable and the missing object (the kubelet's CreateContainerConfigError).
 */
import type * as k8s from "@kubernetes/client-node";

export interface ObjectReader {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export class EnvResolutionError extends Error {}

/** `metadata.labels['app']` → ["labels", "app"] */
function parseMapPath(fieldPath: string): [string, string] | undefined {
  const match = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  return match ? [match[1]!, match[2]!] : undefined;
}

function resolveFieldRef(pod: k8s.V1Pod, fieldPath: string, podIP: string): string {
  const mapPath = parseMapPath(fieldPath);
  if (mapPath) {
    const [kind, key] = mapPath;
    const map = kind === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[key] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "metadata.uid":
      return pod.metadata?.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP":
      return podIP;
    case "status.hostIP":
      return "127.0.0.1";
    default:
      throw new EnvResolutionError(`fieldRef ${fieldPath} is not supported by the sim's process runtime`);
  }
}

export async function resolveContainerEnv(
  pod: k8s.V1Pod,
  container: k8s.V1Container,
  podIP: string,
  reader: ObjectReader,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const podName = `${namespace}/${pod.metadata?.name}`;
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name ?? source.secretRef?.name;
    if (!name) continue;
    const data = source.configMapRef ? await reader.configMap(namespace, name) : await reader.secret(namespace, name);
    const optional = source.configMapRef?.optional ?? source.secretRef?.optional ?? false;
    if (!data) {
      if (optional) continue;
      throw new EnvResolutionError(`pod ${podName}: envFrom ${source.configMapRef ? "ConfigMap" : "Secret"} ${namespace}/${name} not found`);
    }
    for (const [key, value] of Object.entries(data)) env[`${source.prefix ?? ""}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      // $(VAR) references to earlier variables, as the kubelet expands them.
      env[variable.name] = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
      continue;
    }
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = "";
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = resolveFieldRef(pod, from.fieldRef.fieldPath, podIP);
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const kind = from.configMapKeyRef ? "ConfigMap" : "Secret";
      const data = from.configMapKeyRef ? await reader.configMap(namespace, ref.name!) : await reader.secret(namespace, ref.name!);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new EnvResolutionError(`pod ${podName}: env ${variable.name} refers to ${kind} ${namespace}/${ref.name} key ${ref.key}, which does not exist`);
      }
      env[variable.name] = value;
    } else if (from.resourceFieldRef) {
      // Resource limits have no meaning for a local process; give the conventional "unlimited" answer.
      env[variable.name] = "0";
    }
  }
  return env;
}
