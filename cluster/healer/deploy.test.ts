import { describe, expect, it } from "vitest";
import type * as k8s from "@kubernetes/client-node";
import { renderHealerObjects } from "./deploy.ts";

const deploymentOf = (objects: k8s.KubernetesObject[]) => objects.find((object) => object.kind === "Deployment") as k8s.V1Deployment;
const configMapOf = (objects: k8s.KubernetesObject[]) => objects.find((object) => object.kind === "ConfigMap") as k8s.V1ConfigMap;
const hashOf = (objects: k8s.KubernetesObject[]) => deploymentOf(objects).spec!.template.metadata!.annotations!["healer.streamforge.io/config-hash"];

describe("renderHealerObjects (the one way the healer is deployed: suite, lab tests, bench)", () => {
  it("keeps the manifest's replicas unless told, and patches the config into healer-config", () => {
    const manifest = renderHealerObjects();
    const suite = renderHealerObjects({ config: { HEALER_GRACE_PERIOD: "5s" } });
    expect(deploymentOf(suite).spec!.replicas).toBe(deploymentOf(manifest).spec!.replicas);
    expect(configMapOf(suite).data!.HEALER_GRACE_PERIOD).toBe("5s");
    expect(deploymentOf(renderHealerObjects({ replicas: 0 })).spec!.replicas).toBe(0);
  });

  it("rolls the pods when the config changes (hash on the pod template), not otherwise", () => {
    expect(hashOf(renderHealerObjects({ config: { HEALER_GRACE_PERIOD: "5s" } }))).toBe(hashOf(renderHealerObjects({ config: { HEALER_GRACE_PERIOD: "5s" } })));
    expect(hashOf(renderHealerObjects({ config: { HEALER_GRACE_PERIOD: "5s" } }))).not.toBe(hashOf(renderHealerObjects({ config: { HEALER_GRACE_PERIOD: "6s" } })));
  });

  it("puts extra pod labels on the template only; they never override a selector label", () => {
    const plain = deploymentOf(renderHealerObjects());
    const [selectorKey, selectorValue] = Object.entries(plain.spec!.selector.matchLabels!)[0]!;
    const deployment = deploymentOf(renderHealerObjects({ podLabels: { "chaoslab.streamforge.io/chaos-target": "true", [selectorKey]: "something-else" } }));
    expect(deployment.spec!.template.metadata!.labels).toMatchObject({ "chaoslab.streamforge.io/chaos-target": "true", [selectorKey]: selectorValue });
    expect(deployment.spec!.selector.matchLabels).toEqual(plain.spec!.selector.matchLabels);
  });
});
