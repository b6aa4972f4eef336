/**
 * The air-gapped lab installs Argo Rollouts from the release's own manifest with the controller image
 * pinned to the tag loaded into the nodes (a registry is not there to pull from).
 */
import { describe, expect, it } from "vitest";
import { pinArgoRolloutsInstall } from "./argo-install.ts";

describe("pinArgoRolloutsInstall", () => {
  const moduleYaml = [
    "    spec:",
    "      containers:",
    "      - image: quay.io/argoproj/argo-rollouts:latest",
    "        imagePullPolicy: Always",
    "        name: argo-rollouts",
  ].join("\n");

  it("sets the controller image to the pinned tag and never pulls it, as the release asset does", () => {
    expect(pinArgoRolloutsInstall(moduleYaml, "v1.9.1")).toBe(
      ["    spec:", "      containers:", "      - image: quay.io/argoproj/argo-rollouts:v1.9.1", "        imagePullPolicy: IfNotPresent", "        name: argo-rollouts"].join("\n"),
    );
  });

  it("fails loudly when upstream's layout changed", () => {
    expect(() => pinArgoRolloutsInstall("image: quay.io/argoproj/argo-rollouts:v1.0.0\n", "v1.9.1")).toThrow(/update cluster\/kind\/offline\/argo-install\.ts/);
  });
});
