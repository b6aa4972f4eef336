/**
 * The loader's configuration, from the environment the Job manifest gives it (see
 * `workloads/manifests/loader-job.ts`). Every problem is reported at once, each naming the variable,
 * what was expected and what was found.
 */
import { QUEUE_EVENTS_TOPIC } from "../queue-events/contract.ts";
import { DATA_TOPIC } from "../ledger/data-record.ts";
import { LEDGER_TOPIC } from "../ledger/ledger-record.ts";
import { parseBrokers } from "../shared/kafka-client.ts";
import { parseFaultProfile, type Fault } from "./fault-profile.ts";

export interface LoaderConfig {
  brokers: string[];
  taskId: string;
  jobName: string;
  jobUid: string;
  namespace: string;
  /** 0 for the original Job, N for the healer's N-th replacement. */
  attempt: number;
  /** Size of the task: sequence numbers 0 .. messages-1. */
  messages: number;
  ratePerSec: number;
  heartbeatIntervalMs: number;
  /** At most one `progress` event per interval (progress also rides on every heartbeat). */
  progressIntervalMs: number;
  /** Records per produce request at most; the rate decides how many are due. */
  maxBatch: number;
  /** Burst allowance: a batch holds at most this much time's worth of records (and a stall is not caught up in one burst). */
  batchWindowMs: number;
  payloadBytes: number;
  dataTopic: string;
  ledgerTopic: string;
  eventsTopic: string;
  /** Bound on one attempt to read the task's ledger at start (retried with backoff after that). */
  resumeTimeoutMs: number;
  /**
   * The faults this attempt injects: the `FAULT` profile on attempt 0 only, unless
   * `FAULT_ATTEMPTS=all`. The healer's replacement copies the Job spec (env included); a stalled
   * loader's replacement must not stall again unless a scenario asks for it (e.g. "always stalls"
   * to exhaust the restart budget).
   */
  faults: Fault[];
  /** `FAULT_ATTEMPTS`: `first` (default) or `all`. */
  faultAttempts: FaultAttempts;
  /** The configured `FAULT` profile, also when this attempt does not apply it (for the log). */
  configuredFaults: Fault[];
}

export const FAULT_ATTEMPTS = ["first", "all"] as const;
export type FaultAttempts = (typeof FAULT_ATTEMPTS)[number];

/** Faults to inject on this attempt: the profile on attempt 0, or on every attempt with `all`. */
export function faultsForAttempt(faults: Fault[], attempt: number, faultAttempts: FaultAttempts): Fault[] {
  return faultAttempts === "all" || attempt === 0 ? faults : [];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadLoaderConfig(env: NodeJS.ProcessEnv): LoaderConfig {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (error) {
      problems.push((error as Error).message);
      return fallback;
    }
  };
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new Error(`${name}: required, found nothing`);
    return value;
  };
  const number = (name: string, fallback: number | undefined, check: (n: number) => boolean, expected: string): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") {
      if (fallback === undefined) throw new Error(`${name}: required (${expected}), found nothing`);
      return fallback;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) throw new Error(`${name}: expected ${expected}, found ${JSON.stringify(raw)}`);
    return value;
  };
  const int = (n: number) => Number.isSafeInteger(n);

  const config: LoaderConfig = {
    brokers: attempt(() => parseBrokers(env["KAFKA_BROKERS"]), []),
    taskId: attempt(() => required("TASK_ID"), ""),
    jobName: attempt(() => required("JOB_NAME"), ""),
    jobUid: attempt(() => required("JOB_UID"), ""),
    namespace: attempt(() => required("NAMESPACE"), ""),
    // Empty when the pod has no attempt label (fieldRef of a missing label): the original attempt.
    attempt: attempt(() => number("ATTEMPT", 0, (n) => int(n) && n >= 0, "a whole number >= 0"), 0),
    messages: attempt(() => number("MESSAGES", undefined, (n) => int(n) && n >= 0, "a whole number >= 0"), 0),
    ratePerSec: attempt(() => number("RATE_PER_SEC", 100, (n) => n > 0 && n <= 1_000_000, "records per second, > 0"), 100),
    heartbeatIntervalMs: attempt(
      () => number("HEARTBEAT_INTERVAL_MS", 10_000, (n) => int(n) && n >= 100, "milliseconds, a whole number >= 100"),
      10_000,
    ),
    progressIntervalMs: attempt(
      () => number("PROGRESS_INTERVAL_MS", 1000, (n) => int(n) && n >= 0, "milliseconds, a whole number >= 0"),
      1000,
    ),
    maxBatch: attempt(() => number("MAX_BATCH", 500, (n) => int(n) && n >= 1 && n <= 10_000, "a whole number 1..10000"), 500),
    batchWindowMs: attempt(
      () => number("BATCH_WINDOW_MS", 200, (n) => int(n) && n >= 1 && n <= 60_000, "milliseconds 1..60000"),
      200,
    ),
    payloadBytes: attempt(
      () => number("PAYLOAD_BYTES", 64, (n) => int(n) && n >= 0 && n <= 100_000, "a whole number 0..100000"),
      64,
    ),
    dataTopic: env["DATA_TOPIC"]?.trim() || DATA_TOPIC,
    ledgerTopic: env["LEDGER_TOPIC"]?.trim() || LEDGER_TOPIC,
    eventsTopic: QUEUE_EVENTS_TOPIC,
    resumeTimeoutMs: attempt(
      () => number("RESUME_TIMEOUT_MS", 30_000, (n) => int(n) && n >= 1000, "milliseconds, a whole number >= 1000"),
      30_000,
    ),
    faults: [],
    faultAttempts: attempt(() => faultAttemptsOf(env["FAULT_ATTEMPTS"]), "first" as FaultAttempts),
    configuredFaults: attempt(() => parseFaultProfile(env["FAULT"]), []),
  };
  config.faults = faultsForAttempt(config.configuredFaults, config.attempt, config.faultAttempts);
  if (problems.length > 0) {
    throw new ConfigError(`loader configuration is invalid:\n  - ${problems.join("\n  - ")}`);
  }
  return config;
}

function faultAttemptsOf(raw: string | undefined): FaultAttempts {
  const value = raw?.trim() ?? "";
  if (value === "") return "first";
  if ((FAULT_ATTEMPTS as readonly string[]).includes(value)) return value as FaultAttempts;
  throw new Error(`FAULT_ATTEMPTS: expected one of ${FAULT_ATTEMPTS.join(", ")} (which attempts apply FAULT), found ${JSON.stringify(raw)}`);
}
