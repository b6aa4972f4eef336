/**
 * `apply`: server-side apply the manifests of a YAML file (path relative to the scenario file), each
 * labelled with the run's label so teardown can delete them.
 *
 *   - apply: {file: manifests/extra-consumer.yaml}
 */
import fs from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { defineSetupAction } from "./setup-action.ts";
import type { KubeObject } from "../core/ports.ts";

const revertAction = z
  .object({ objects: z.array(z.object({ apiVersion: z.string(), kind: z.string(), namespace: z.string().optional(), name: z.string() }).strict()) })
  .strict();

export const applySetup = defineSetupAction({
  kind: "apply",
  summary: "Server-side apply the manifests of a YAML file; deleted again at teardown.",
  params: z
    .object({
      file: z.string().min(1).meta({ description: "Multi-document YAML, relative to the scenario file." }),
      namespace: z.string().min(1).optional().meta({ description: "For objects that name none." }),
    })
    .strict(),
  revertAction,
  create: (spec) => ({
    describe: () => `apply ${spec.file}`,
    async run(ctx) {
      const file = path.resolve(ctx.scenarioDir, spec.file);
      const objects = YAML.parseAllDocuments(await fs.readFile(file, "utf8")).flatMap((document, index) => {
        if (document.errors.length > 0) throw new Error(`${file}: document ${index + 1}: ${document.errors[0]!.message}`);
        const object = document.toJS() as KubeObject | null;
        return object ? [object] : [];
      });
      const labelled = objects.map((object) => ({
        ...object,
        metadata: {
          ...object.metadata,
          namespace: object.metadata.namespace ?? spec.namespace,
          labels: { ...object.metadata.labels, ...ctx.runLabels },
        },
      }));
      await ctx.journal.record(
        { objects: labelled.map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, namespace: metadata.namespace, name: metadata.name })) },
        `delete the ${labelled.length} object(s) of ${spec.file}`,
      );
      for (const object of labelled) await ctx.kube.apply(object);
    },
  }),
  async revert(action, ctx) {
    for (const object of [...action.objects].reverse()) await ctx.kube.delete(object, { propagationPolicy: "Background" });
  },
});
