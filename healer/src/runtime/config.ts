/**
 * All configuration comes from the environment (the Deployment fills it from ConfigMap `healer-config`),
 * validated once at start. A bad value fails fast with the variable's name, what was expected and what
 * was found — a healer with inconsistent thresholds is worse than no healer.
 */
import os from "node:os";
import { z } from "zod";
import { formatDuration, parseDurationMs } from "../../../workloads/queue-events/duration.ts";
import { STREAMFORGE_NAMESPACE } from "../../../workloads/queue-events/namespace.ts";

export const FAULT_POINTS = ["after-detect", "after-create", "after-delete"] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface DetectionThresholds {
  /** What Jobs declare they send at least every so often (annotation can override per Job). */
  heartbeatIntervalMs: number;
  /** STOP after no event for longer than this. */
  silenceThresholdMs: number;
  /** STALL after progress has not advanced for this long while events still arrive. */
  noProgressThresholdMs: number;
  /** No STOP/STALL verdict until this long after a pod became Ready (or tracking / breaker re-grace began). */
  gracePeriodMs: number;
}

export interface HealerConfig {
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    /** Bound on the consumer's offset lag (messages) before the breaker opens. */
    maxLagMessages: number;
    canaryIntervalMs: number;
    /** The breaker opens when no canary came back for canaryInterval + canaryTimeout. */
    canaryTimeoutMs: number;
    /** kafkajs can hang after broker maintenance: recreate the consumer when canaries fail this long. */
    consumerRestartAfterMs: number;
  };
  namespaces: string[];
  managedSelector: string;
  thresholds: DetectionThresholds;
  /** How often every tracked Job is evaluated: ≤ 5 % of the silence threshold, within [50 ms, 1 s]. */
  tickIntervalMs: number;
  breaker: {
    silentFraction: number;
    minSilentJobs: number;
    settlePeriodMs: number;
  };
  rateLimit: { perMinute: number; burst: number };
  budget: { maxRestarts: number; windowMs: number; backoffBaseMs: number; backoffMaxMs: number };
  remediation: {
    workers: number;
    /** A replacement without any pod this long after it started is reported ReplacementStalled. */
    replacementPodTimeoutMs: number;
    /** Added to an old pod's termination grace period before the healer stops waiting for it to go. */
    oldPodGraceSlackMs: number;
    /** Poll interval while waiting for the old attempt's pods to terminate. */
    pollIntervalMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
  leaderElection: {
    leaseName: string;
    leaseNamespace: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  informer: {
    relistPeriodMs: number;
    watchTimeoutSeconds: number;
    watchIdleTimeoutMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
  };
  apiRequestTimeoutMs: number;
  http: { host: string; port: number };
  dryRun: boolean;
  faultPoint?: FaultPoint;
  shutdownTimeoutMs: number;
  logLevel: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_PORT = /^[^\s:,]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** Env values are strings; an empty string means "unset" (ConfigMaps often carry empty keys). */
function env<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema);
}

function duration(defaultValue: string) {
  return env(
    z
      .string()
      .default(defaultValue)
      .transform((text, ctx) => {
        const ms = parseDurationMs(text);
        if (ms === undefined) {
          ctx.addIssue({ code: "custom", message: `expected a duration like 500ms, 10s, 2m or 1h, found "${text}"` });
          return z.NEVER;
        }
        return ms;
      }),
  );
}

function integer(defaultValue: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  return env(
    z
      .string()
      .default(String(defaultValue))
      .transform((text, ctx) => {
        const value = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
          ctx.addIssue({ code: "custom", message: `expected an integer in [${min}, ${max}], found "${text}"` });
          return z.NEVER;
        }
        return value;
      }),
  );
}

function decimal(defaultValue: number, check: (value: number) => boolean, expected: string) {
  return env(
    z
      .string()
      .default(String(defaultValue))
      .transform((text, ctx) => {
        const value = Number(text);
        if (text.trim() === "" || !Number.isFinite(value) || !check(value)) {
          ctx.addIssue({ code: "custom", message: `expected ${expected}, found "${text}"` });
          return z.NEVER;
        }
        return value;
      }),
  );
}

function boolean(defaultValue: boolean) {
  return env(
    z
      .string()
      .default(String(defaultValue))
      .transform((text, ctx) => {
        const normalized = text.trim().toLowerCase();
        if (["true", "1", "yes"].includes(normalized)) return true;
        if (["false", "0", "no"].includes(normalized)) return false;
        ctx.addIssue({ code: "custom", message: `expected true or false, found "${text}"` });
        return z.NEVER;
      }),
  );
}

function list(defaultValue: string | undefined, itemPattern: RegExp, itemDescription: string) {
  const base = defaultValue === undefined ? z.string({ error: "is required" }) : z.string().default(defaultValue);
  return env(
    base.transform((text, ctx) => {
      const items = text
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
      const bad = items.filter((item) => !itemPattern.test(item));
      if (items.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `expected a comma-separated list of ${itemDescription}, found "${text}"${bad.length ? ` (bad: ${bad.join(", ")})` : ""}`,
        });
        return z.NEVER;
      }
      return [...new Set(items)];
    }),
  );
}

const envSchema = z
  .object({
    KAFKA_BROKERS: list(undefined, HOST_PORT, "host:port addresses"),
    HEALER_KAFKA_CLIENT_ID: env(z.string().default("healer")),
    HEALER_CONSUMER_GROUP: env(z.string().default("streamforge-healer")),
    HEALER_NAMESPACES: list(STREAMFORGE_NAMESPACE, DNS_LABEL, "namespace names"),
    HEALER_MANAGED_SELECTOR: env(z.string().default("healer.streamforge.io/managed=true")),
    HEALER_HEARTBEAT_INTERVAL: duration("10s"),
    HEALER_SILENCE_THRESHOLD: duration("60s"),
    HEALER_NO_PROGRESS_THRESHOLD: duration("120s"),
    HEALER_GRACE_PERIOD: duration("60s"),
    HEALER_CANARY_INTERVAL: duration("2s"),
    HEALER_CANARY_TIMEOUT: duration("10s"),
    HEALER_CONSUMER_RESTART_AFTER: duration("60s"),
    HEALER_MAX_CONSUMER_LAG: integer(10_000, 1),
    HEALER_BREAKER_SILENT_FRACTION: decimal(0.5, (value) => value > 0 && value <= 1, "a fraction in (0, 1]"),
    HEALER_BREAKER_MIN_SILENT_JOBS: integer(3, 1),
    HEALER_BREAKER_SETTLE_PERIOD: duration("30s"),
    HEALER_RATE_LIMIT_PER_MINUTE: decimal(10, (value) => value > 0, "a positive number of remediations per minute"),
    HEALER_RATE_LIMIT_BURST: integer(5, 1),
    HEALER_RESTART_BUDGET: integer(3, 1),
    HEALER_RESTART_BUDGET_WINDOW: duration("1h"),
    HEALER_RESTART_BACKOFF_BASE: duration("30s"),
    HEALER_RESTART_BACKOFF_MAX: duration("10m"),
    HEALER_WORKERS: integer(4, 1, 64),
    HEALER_REPLACEMENT_POD_TIMEOUT: duration("60s"),
    HEALER_OLD_POD_GRACE_SLACK: duration("15s"),
    HEALER_REMEDIATION_POLL_INTERVAL: duration("500ms"),
    HEALER_API_RETRY_BASE: duration("500ms"),
    HEALER_API_RETRY_MAX: duration("60s"),
    HEALER_LEASE_NAME: env(z.string().regex(DNS_LABEL, "expected a DNS label").default("healer")),
    HEALER_LEASE_NAMESPACE: env(z.string().regex(DNS_LABEL, "expected a namespace name").optional()),
    HEALER_LEASE_DURATION: duration("15s"),
    HEALER_LEASE_RENEW_DEADLINE: duration("10s"),
    HEALER_LEASE_RETRY_PERIOD: duration("2s"),
    POD_NAME: env(z.string().max(128).optional()),
    POD_NAMESPACE: env(z.string().optional()),
    HEALER_RELIST_PERIOD: duration("5m"),
    HEALER_WATCH_TIMEOUT: duration("60s"),
    HEALER_WATCH_IDLE_TIMEOUT: duration("90s"),
    HEALER_INFORMER_BACKOFF_BASE: duration("500ms"),
    HEALER_INFORMER_BACKOFF_MAX: duration("30s"),
    HEALER_API_TIMEOUT: duration("15s"),
    LISTEN_HOST: env(z.string().default("0.0.0.0")),
    HEALER_HTTP_PORT: integer(8080, 0, 65_535),
    HEALER_DRY_RUN: boolean(false),
    HEALER_FAULT_POINT: env(z.enum(FAULT_POINTS).optional()),
    HEALER_SHUTDOWN_TIMEOUT: duration("25s"),
    LOG_LEVEL: env(z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info")),
  })
  .superRefine((values, ctx) => {
    const fail = (variable: string, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });
    const d = formatDuration;
    const heartbeat = values.HEALER_HEARTBEAT_INTERVAL;
    if (values.HEALER_SILENCE_THRESHOLD < 3 * heartbeat) {
      fail(
        "HEALER_SILENCE_THRESHOLD",
        `must be at least 3 × HEALER_HEARTBEAT_INTERVAL (${d(heartbeat)}) = ${d(3 * heartbeat)} so one or two lost heartbeats never look like a hang, found ${d(values.HEALER_SILENCE_THRESHOLD)}`,
      );
    }
    if (values.HEALER_NO_PROGRESS_THRESHOLD < 3 * heartbeat) {
      fail(
        "HEALER_NO_PROGRESS_THRESHOLD",
        `must be at least 3 × HEALER_HEARTBEAT_INTERVAL (${d(heartbeat)}) = ${d(3 * heartbeat)}, found ${d(values.HEALER_NO_PROGRESS_THRESHOLD)}`,
      );
    }
    if (values.HEALER_CANARY_INTERVAL >= values.HEALER_CANARY_TIMEOUT) {
      fail(
        "HEALER_CANARY_TIMEOUT",
        `must be longer than HEALER_CANARY_INTERVAL (${d(values.HEALER_CANARY_INTERVAL)}), found ${d(values.HEALER_CANARY_TIMEOUT)}`,
      );
    }
    if (values.HEALER_CANARY_TIMEOUT + heartbeat >= values.HEALER_SILENCE_THRESHOLD) {
      fail(
        "HEALER_CANARY_TIMEOUT",
        `must be shorter than HEALER_SILENCE_THRESHOLD (${d(values.HEALER_SILENCE_THRESHOLD)}) − HEALER_HEARTBEAT_INTERVAL (${d(heartbeat)}): a stalled event stream must open the circuit breaker before any Job looks silent, found ${d(values.HEALER_CANARY_TIMEOUT)}`,
      );
    }
    if (values.HEALER_CONSUMER_RESTART_AFTER <= values.HEALER_CANARY_TIMEOUT) {
      fail(
        "HEALER_CONSUMER_RESTART_AFTER",
        `must be longer than HEALER_CANARY_TIMEOUT (${d(values.HEALER_CANARY_TIMEOUT)}), found ${d(values.HEALER_CONSUMER_RESTART_AFTER)}`,
      );
    }
    if (values.HEALER_RESTART_BACKOFF_BASE > values.HEALER_RESTART_BACKOFF_MAX) {
      fail(
        "HEALER_RESTART_BACKOFF_BASE",
        `must not exceed HEALER_RESTART_BACKOFF_MAX (${d(values.HEALER_RESTART_BACKOFF_MAX)}), found ${d(values.HEALER_RESTART_BACKOFF_BASE)}`,
      );
    }
    if (values.HEALER_API_RETRY_BASE > values.HEALER_API_RETRY_MAX) {
      fail("HEALER_API_RETRY_BASE", `must not exceed HEALER_API_RETRY_MAX (${d(values.HEALER_API_RETRY_MAX)}), found ${d(values.HEALER_API_RETRY_BASE)}`);
    }
    if (values.HEALER_INFORMER_BACKOFF_BASE > values.HEALER_INFORMER_BACKOFF_MAX) {
      fail(
        "HEALER_INFORMER_BACKOFF_BASE",
        `must not exceed HEALER_INFORMER_BACKOFF_MAX (${d(values.HEALER_INFORMER_BACKOFF_MAX)}), found ${d(values.HEALER_INFORMER_BACKOFF_BASE)}`,
      );
    }
    // client-go's rules (leaderelection.NewLeaderElector): a leader must give up before anyone else may take over.
    if (values.HEALER_LEASE_RENEW_DEADLINE >= values.HEALER_LEASE_DURATION) {
      fail(
        "HEALER_LEASE_RENEW_DEADLINE",
        `must be shorter than HEALER_LEASE_DURATION (${d(values.HEALER_LEASE_DURATION)}), found ${d(values.HEALER_LEASE_RENEW_DEADLINE)}`,
      );
    }
    if (values.HEALER_LEASE_RETRY_PERIOD * 1.2 >= values.HEALER_LEASE_RENEW_DEADLINE) {
      fail(
        "HEALER_LEASE_RETRY_PERIOD",
        `× 1.2 (jitter) must be shorter than HEALER_LEASE_RENEW_DEADLINE (${d(values.HEALER_LEASE_RENEW_DEADLINE)}), found ${d(values.HEALER_LEASE_RETRY_PERIOD)}`,
      );
    }
    if (values.HEALER_LEASE_DURATION < 1000) {
      fail("HEALER_LEASE_DURATION", `must be at least 1s (Lease durations are whole seconds), found ${d(values.HEALER_LEASE_DURATION)}`);
    }
    if (values.HEALER_WATCH_TIMEOUT < 1000) {
      fail("HEALER_WATCH_TIMEOUT", `must be at least 1s (the API server takes whole seconds), found ${d(values.HEALER_WATCH_TIMEOUT)}`);
    }
    if (values.HEALER_WATCH_IDLE_TIMEOUT <= values.HEALER_WATCH_TIMEOUT) {
      fail(
        "HEALER_WATCH_IDLE_TIMEOUT",
        `must be longer than HEALER_WATCH_TIMEOUT (${d(values.HEALER_WATCH_TIMEOUT)}), or healthy quiet watches are killed, found ${d(values.HEALER_WATCH_IDLE_TIMEOUT)}`,
      );
    }
    if (values.HEALER_SHUTDOWN_TIMEOUT < 1000) {
      fail("HEALER_SHUTDOWN_TIMEOUT", `must be at least 1s, found ${d(values.HEALER_SHUTDOWN_TIMEOUT)}`);
    }
    if (!/^[^=,!\s]+(=[^=,\s]+)?$/.test(values.HEALER_MANAGED_SELECTOR)) {
      fail("HEALER_MANAGED_SELECTOR", `expected one label requirement "key=value" or "key", found "${values.HEALER_MANAGED_SELECTOR}"`);
    }
  });

export type ConfigResult = { ok: true; config: HealerConfig } | { ok: false; message: string };

/** Never throws; the message names every bad variable, one per line. */
export function loadConfig(environment: NodeJS.ProcessEnv | Record<string, string | undefined>): ConfigResult {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0] ?? "(environment)")}: ${issue.message}`);
    return { ok: false, message: `invalid healer configuration:\n${lines.join("\n")}\nFix the variables above (ConfigMap healer-config) and restart.` };
  }
  const v = parsed.data;
  const namespaces = v.HEALER_NAMESPACES;
  const config: HealerConfig = {
    kafka: {
      brokers: v.KAFKA_BROKERS,
      clientId: v.HEALER_KAFKA_CLIENT_ID,
      groupId: v.HEALER_CONSUMER_GROUP,
      maxLagMessages: v.HEALER_MAX_CONSUMER_LAG,
      canaryIntervalMs: v.HEALER_CANARY_INTERVAL,
      canaryTimeoutMs: v.HEALER_CANARY_TIMEOUT,
      consumerRestartAfterMs: v.HEALER_CONSUMER_RESTART_AFTER,
    },
    namespaces,
    managedSelector: v.HEALER_MANAGED_SELECTOR,
    thresholds: {
      heartbeatIntervalMs: v.HEALER_HEARTBEAT_INTERVAL,
      silenceThresholdMs: v.HEALER_SILENCE_THRESHOLD,
      noProgressThresholdMs: v.HEALER_NO_PROGRESS_THRESHOLD,
      gracePeriodMs: v.HEALER_GRACE_PERIOD,
    },
    tickIntervalMs: Math.min(1000, Math.max(50, Math.floor(Math.min(v.HEALER_SILENCE_THRESHOLD, v.HEALER_NO_PROGRESS_THRESHOLD) / 20))),
    breaker: {
      silentFraction: v.HEALER_BREAKER_SILENT_FRACTION,
      minSilentJobs: v.HEALER_BREAKER_MIN_SILENT_JOBS,
      settlePeriodMs: v.HEALER_BREAKER_SETTLE_PERIOD,
    },
    rateLimit: { perMinute: v.HEALER_RATE_LIMIT_PER_MINUTE, burst: v.HEALER_RATE_LIMIT_BURST },
    budget: {
      maxRestarts: v.HEALER_RESTART_BUDGET,
      windowMs: v.HEALER_RESTART_BUDGET_WINDOW,
      backoffBaseMs: v.HEALER_RESTART_BACKOFF_BASE,
      backoffMaxMs: v.HEALER_RESTART_BACKOFF_MAX,
    },
    remediation: {
      workers: v.HEALER_WORKERS,
      replacementPodTimeoutMs: v.HEALER_REPLACEMENT_POD_TIMEOUT,
      oldPodGraceSlackMs: v.HEALER_OLD_POD_GRACE_SLACK,
      pollIntervalMs: v.HEALER_REMEDIATION_POLL_INTERVAL,
      retryBaseMs: v.HEALER_API_RETRY_BASE,
      retryMaxMs: v.HEALER_API_RETRY_MAX,
    },
    leaderElection: {
      leaseName: v.HEALER_LEASE_NAME,
      leaseNamespace: v.HEALER_LEASE_NAMESPACE ?? v.POD_NAMESPACE ?? namespaces[0]!,
      identity: v.POD_NAME ?? `${os.hostname()}-${process.pid}`,
      leaseDurationMs: v.HEALER_LEASE_DURATION,
      renewDeadlineMs: v.HEALER_LEASE_RENEW_DEADLINE,
      retryPeriodMs: v.HEALER_LEASE_RETRY_PERIOD,
    },
    informer: {
      relistPeriodMs: v.HEALER_RELIST_PERIOD,
      watchTimeoutSeconds: Math.floor(v.HEALER_WATCH_TIMEOUT / 1000),
      watchIdleTimeoutMs: v.HEALER_WATCH_IDLE_TIMEOUT,
      backoffBaseMs: v.HEALER_INFORMER_BACKOFF_BASE,
      backoffMaxMs: v.HEALER_INFORMER_BACKOFF_MAX,
    },
    apiRequestTimeoutMs: v.HEALER_API_TIMEOUT,
    http: { host: v.LISTEN_HOST, port: v.HEALER_HTTP_PORT },
    dryRun: v.HEALER_DRY_RUN,
    faultPoint: v.HEALER_FAULT_POINT,
    shutdownTimeoutMs: v.HEALER_SHUTDOWN_TIMEOUT,
    logLevel: v.LOG_LEVEL,
  };
  return { ok: true, config };
}
