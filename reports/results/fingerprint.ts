/**
 * The environment fingerprint recorded in every report next to the seed: enough to tell whether two
 * runs are comparable (same provider, same component and library versions) and to replay one.
 */
import { createRequire } from "node:module";
import os from "node:os";
import type { LabDescription } from "../../cluster/provider.ts";

const LIBRARIES = ["@kubernetes/client-node", "kafkajs", "zod", "yaml", "vitest"] as const;

export interface EnvironmentFingerprint {
  provider: string;
  /** Component versions the lab reports (Kubernetes, Kafka, Argo Rollouts, Toxiproxy, ...). */
  components: Record<string, string>;
  node: string;
  platform: string;
  libraries: Record<string, string>;
  harness: string;
  labStartedAt: string;
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function environmentFingerprint(description: LabDescription): EnvironmentFingerprint {
  return {
    provider: description.provider,
    components: { ...description.versions },
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    libraries: Object.fromEntries(LIBRARIES.map((name) => [name, packageVersion(name)])),
    harness: readOwnVersion(),
    labStartedAt: description.startedAt,
  };
}

function readOwnVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}
