import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { DATA_TOPIC } from "../ledger/data-record.ts";
import { KAFKA_CONFIGMAP } from "./loader-job.ts";

describe("arango-connector.yaml", () => {
  it("is the connector Deployment the programs and the lab expect", async () => {
    const deployment = parse(await readFile(new URL("./arango-connector.yaml", import.meta.url), "utf8"));
    expect(deployment).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "arango-connector", namespace: "streamforge" } });
    expect(deployment.spec.selector.matchLabels).toEqual({ app: "arango-connector" });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.image).toBe("chaoslab/arango-connector:dev");
    const env = Object.fromEntries(container.env.map((variable: { name: string }) => [variable.name, variable]));
    expect(env.KAFKA_BROKERS.valueFrom.configMapKeyRef).toEqual({ name: KAFKA_CONFIGMAP.name, key: KAFKA_CONFIGMAP.workloadsKey });
    expect(env.POD_NAME.valueFrom.fieldRef.fieldPath).toBe("metadata.name");
    expect(env.DATA_TOPIC.value).toBe(DATA_TOPIC);
    expect(Number(env.SESSION_TIMEOUT_MS.value)).toBeGreaterThanOrEqual(6000);
    // The sink directory is writable although the root filesystem is not.
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.volumeMounts).toContainEqual({ name: "sink", mountPath: env.SINK_DIR.value });
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});
