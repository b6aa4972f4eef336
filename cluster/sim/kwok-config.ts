/**
 * kwok v0.8.0 has no built-in stages: we pass its own upstream stage files (copied into the cache from
 * the kwok module) through `--config`, with one change — pods of the lab's own images are left to the
 * process runtime, which starts real processes and reports their real state. Without that exclusion
 * `pod-ready` would mark a loader Ready before it runs and `pod-complete` would "finish" every Job pod
 * at once.
 */
import fs from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { labImageReferences } from "../images.ts";

const STAGE_FILES = [
  "node/fast/node-initialize.yaml",
  "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "pod/fast/pod-ready.yaml",
  "pod/fast/pod-complete.yaml",
  "pod/fast/pod-delete.yaml",
];

interface Stage {
  spec: { resourceRef: { kind: string }; selector?: { matchExpressions?: unknown[] } };
}

export async function writeKwokConfig(kwokDir: string, file: string): Promise<void> {
  const documents: string[] = [];
  for (const stageFile of STAGE_FILES) {
    const stage = YAML.parse(await fs.readFile(path.join(kwokDir, "stages", stageFile), "utf8")) as Stage;
    if (stage.spec.resourceRef.kind === "Pod") {
      stage.spec.selector ??= {};
      stage.spec.selector.matchExpressions ??= [];
      stage.spec.selector.matchExpressions.push({
        // Lab pods have one container; its image decides who runs the pod.
        key: ".spec.containers.[0].image",
        operator: "NotIn",
        values: labImageReferences(),
      });
    }
    documents.push(YAML.stringify(stage));
  }
  await fs.writeFile(file, documents.join("---\n"));
}
