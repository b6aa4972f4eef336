/**
 * kubectl, pinned to one kubeconfig, through the injectable command runner. Applies are server-side
 * (`--server-side --force-conflicts`): idempotent on a reused cluster, and the only way to apply the
 * Strimzi and Argo Rollouts CRDs, which are larger than client-side apply's 256 KiB annotation limit.
 */
import { type CommandResult, type CommandRunner, type Step, runOrThrow } from "./command-runner.ts";
import type { KubeObject } from "../manifests/kind-manifests.ts";

export const FIELD_MANAGER = "chaoslab";
const DEFAULT_TIMEOUT_MS = 60_000;

export interface KubectlCallOptions {
  input?: string;
  timeoutMs?: number;
}

export class Kubectl {
  constructor(
    private readonly runner: CommandRunner,
    /** Every call passes `--kubeconfig <file>`, so the user's current context never matters. */
    readonly kubeconfig: string,
  ) {}

  /** Runs kubectl; throws LabCommandError (what failed, the command, its output, what to do) on non-zero exit. */
  run(args: readonly string[], step: Step & KubectlCallOptions): Promise<string> {
    return runOrThrow(this.runner, this.spec(args, step), step);
  }

  /** Runs kubectl and returns the result whatever the exit code (for probes). */
  try(args: readonly string[], options: KubectlCallOptions = {}): Promise<CommandResult> {
    return this.runner(this.spec(args, options));
  }

  async getJson<T>(args: readonly string[], step: Step & KubectlCallOptions): Promise<T> {
    const stdout = await this.run([...args, "-o", "json"], step);
    try {
      return JSON.parse(stdout) as T;
    } catch {
      throw new Error(`${step.what}: kubectl ${args.join(" ")} -o json did not print JSON: ${stdout.slice(0, 300)}\nWhat to do: ${step.hint}`);
    }
  }

  /**
   * Server-side apply of objects, sent as one JSON `v1 List` (kubectl flattens it). JSON, not YAML: strings
   * stay quoted, so YAML 1.1 readings (`yes`, `on` → booleans) cannot change what was written. One List,
   * not JSON documents between `---`: kubectl reads input that starts with `{` as a JSON stream and
   * fails on the separator (found with a server-side dry-run).
   */
  apply(objects: readonly KubeObject[], step: Step, options: { namespace?: string; timeoutMs?: number } = {}): Promise<string> {
    return this.applyText(JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }), step, options);
  }

  applyText(manifests: string, step: Step, options: { namespace?: string; timeoutMs?: number } = {}): Promise<string> {
    const args = ["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`];
    if (options.namespace) args.push("--namespace", options.namespace);
    args.push("-f", "-");
    return this.run(args, { ...step, input: manifests, timeoutMs: options.timeoutMs ?? 180_000 });
  }

  private spec(args: readonly string[], options: KubectlCallOptions) {
    return {
      command: "kubectl",
      args: ["--kubeconfig", this.kubeconfig, ...args],
      input: options.input,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function findCondition(object: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return object.status?.conditions?.find((condition) => condition.type === type);
}

/** A Deployment is healthy when at least one replica is available (status of operators and proxies). */
export async function deploymentHealth(kubectl: Kubectl, namespace: string, name: string): Promise<{ healthy: boolean; detail: string }> {
  const deployment = await kubectl.getJson<{ spec?: { replicas?: number }; status?: { availableReplicas?: number } }>(["get", "deployment", name, "--namespace", namespace], {
    what: `read deployment ${namespace}/${name}`,
    hint: "check the cluster is reachable",
  });
  const available = deployment.status?.availableReplicas ?? 0;
  const wanted = deployment.spec?.replicas ?? 1;
  return { healthy: available >= 1, detail: `${available}/${wanted} available` };
}
