/**
 * Strimzi's release install file (`strimzi-cluster-operator-<version>.yaml`) names the namespace
 * `myproject` in the subjects of its (Cluster)RoleBindings; Strimzi's docs fix that with a sed that
 * replaces every `namespace: <anything>` line. Doing it on the parsed objects instead touches only the
 * ServiceAccount subjects (the line-based sed also rewrites any other `namespace:` line it meets).
 */
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../manifests/kind-manifests.ts";

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export function retargetStrimziInstall(installYaml: string, namespace: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(installYaml)) {
    if (document.errors.length > 0) {
      throw new Error(`Strimzi install manifest is not valid YAML: ${document.errors[0]!.message}`);
    }
    const object = document.toJS() as KubeObject | null;
    if (!object) continue;
    if (object.kind === "RoleBinding" || object.kind === "ClusterRoleBinding") {
      for (const subject of (object.subjects as Subject[] | undefined) ?? []) {
        if (subject.kind === "ServiceAccount") subject.namespace = namespace;
      }
    }
    // Namespaced objects go to the namespace given to `kubectl apply --namespace`; none may name another.
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
      object.metadata.namespace = namespace;
    }
    objects.push(object);
  }
  const kinds = new Set(objects.map((object) => object.kind));
  for (const required of ["CustomResourceDefinition", "Deployment", "ServiceAccount"]) {
    if (!kinds.has(required)) {
      throw new Error(`Strimzi install manifest has no ${required}: is it really strimzi-cluster-operator-<version>.yaml?`);
    }
  }
  return objects;
}
