/**
 * queue-manager's configuration, read from the environment of its pod template (CONVENTIONS.md: the
 * sim's process runtime and the kubelet both give a process exactly its pod spec's env). Version and
 * error behaviour come from the pod template, so changing either is a new Rollout revision.
 */

/**
 * Error rate of a version whose name ends in `-bad` when ERROR_RATE is not set: ten times the
 * analysis threshold (0.05). Diluted by nine healthy stable pods at 10% traffic it lands exactly on
 * the threshold, which is why the analysis must measure the canary pods alone.
 */
export const BAD_VERSION_ERROR_RATE = 0.5;

export const DEFAULT_PORT = 8080;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

export interface QueueManagerConfig {
  listenHost: string;
  port: number;
  /** What this process reports as its version: VERSION, else IMAGE_TAG, else `dev`. */
  version: string;
  /** Fraction of `/enqueue` requests answered with 500, in [0, 1]. */
  errorRate: number;
  /** Where the error rate came from, for logs and `/stats` readers. */
  errorRateSource: "ERROR_RATE" | "bad-version-default" | "none";
  podName: string;
  /** The `rollouts-pod-template-hash` label of this pod (empty when not run by a Rollout). */
  podTemplateHash: string;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readInteger(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[key]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `env ${key}: expected an integer in [${min}, ${max}], found ${JSON.stringify(raw)}; fix the pod template's env`,
    );
  }
  return value;
}

function readErrorRate(env: Env, version: string): Pick<QueueManagerConfig, "errorRate" | "errorRateSource"> {
  const raw = nonEmpty(env.ERROR_RATE);
  if (raw !== undefined) {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new ConfigError(
        `env ERROR_RATE: expected a number in [0, 1] (e.g. "0.5"), found ${JSON.stringify(raw)}; fix the pod template's env`,
      );
    }
    return { errorRate: value, errorRateSource: "ERROR_RATE" };
  }
  if (version.endsWith("-bad")) return { errorRate: BAD_VERSION_ERROR_RATE, errorRateSource: "bad-version-default" };
  return { errorRate: 0, errorRateSource: "none" };
}

export function readQueueManagerConfig(env: Env = process.env): QueueManagerConfig {
  const version = nonEmpty(env.VERSION) ?? nonEmpty(env.IMAGE_TAG) ?? "dev";
  return {
    listenHost: nonEmpty(env.LISTEN_HOST) ?? "0.0.0.0",
    port: readInteger(env, "PORT", DEFAULT_PORT, 0, 65_535),
    version,
    ...readErrorRate(env, version),
    podName: nonEmpty(env.POD_NAME) ?? nonEmpty(env.HOSTNAME) ?? "queue-manager",
    podTemplateHash: nonEmpty(env.POD_TEMPLATE_HASH) ?? "",
    shutdownTimeoutMs: readInteger(env, "SHUTDOWN_TIMEOUT_MS", DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 600_000),
  };
}
