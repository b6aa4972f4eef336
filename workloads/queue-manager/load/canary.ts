/**
 * Traffic during the queue-manager canary: a constant arrival rate of `POST /enqueue` against Service
 * `queue-manager`, which spreads requests over stable and canary pods by replica ratio. It gives the
 * analysis real requests to measure; its thresholds are the blast-radius budget of the experiment.
 *
 * k6 runs this file directly but only strips the types: `npx tsc -p workloads/queue-manager/load`
 * type-checks it.
 *
 * Env (`k6 run -e NAME=value`):
 *   BASE_URL         required, e.g. http://127.10.0.5:8080 (the lab's URL of Service queue-manager)
 *   RATE             requests per second, default 40 (the canary pod gets ~10% of them)
 *   DURATION         default 3m: longer than warm-up + analysis + the 50% step
 *   MAX_FAILED_RATE  budget for http_req_failed, default 0.1
 *   P95_MS           budget for p(95) of http_req_duration, default 500
 *   VERSIONS         comma-separated versions to break requests and failures down by in the summary,
 *                    e.g. v1,v2-bad (optional)
 *   SUMMARY_PATH     where to write k6's end-of-test summary as JSON for the report (optional)
 */
import { check } from "k6";
import http from "k6/http";
import { Counter } from "k6/metrics";
import type { Options } from "k6/options";

function env(name: string, fallback?: string): string {
  const value = __ENV[name];
  if (value !== undefined && value !== "") return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`env ${name} is required: run k6 with -e ${name}=<value> (see the header of load/canary.ts)`);
}

function positiveNumber(name: string, fallback: string): number {
  const raw = env(name, fallback);
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`env ${name}: expected a positive number, found "${raw}"`);
  return value;
}

const BASE_URL = env("BASE_URL").replace(/\/+$/, "");
const RATE = positiveNumber("RATE", "40");
const MAX_FAILED_RATE = positiveNumber("MAX_FAILED_RATE", "0.1");
const P95_MS = positiveNumber("P95_MS", "500");
const VERSIONS = env("VERSIONS", "")
  .split(",")
  .map((version) => version.trim())
  .filter(Boolean);

/**
 * Requests by the version that answered (header `x-queue-manager-version`), so the summary shows that
 * errors came from the canary version and how much traffic each version took.
 */
const requestsByVersion = new Counter("queue_manager_requests_by_version");
const failuresByVersion = new Counter("queue_manager_failures_by_version");

/**
 * k6 computes a tagged sub-metric only when a threshold names it; these always-true thresholds exist so
 * the summary carries requests and failures per version.
 */
function perVersionThresholds(): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {};
  for (const version of VERSIONS) {
    thresholds[`queue_manager_requests_by_version{version:${version}}`] = ["count>=0"];
    thresholds[`queue_manager_failures_by_version{version:${version}}`] = ["count>=0"];
  }
  return thresholds;
}

export const options: Options = {
  // A Service balances connections, not requests (kube-proxy, and the sim's service proxy alike): with
  // keep-alive, k6's connections are opened before the canary pod exists and stay on stable pods, and
  // the canary gets no traffic at all (seen on the sim: 0 of 2017 requests). One connection per request
  // makes the split follow the replica ratio, as canary.md assumes.
  noConnectionReuse: true,
  scenarios: {
    canary_traffic: {
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: env("DURATION", "3m"),
      preAllocatedVUs: Math.max(5, Math.ceil(RATE / 4)),
      maxVUs: Math.max(20, Math.ceil(RATE * 2)),
    },
  },
  thresholds: {
    // A bad canary at 10% failing half its requests costs ~5%; the budget catches a canary that was
    // allowed further (50% weight would cost ~25%) or a failure of the stable version itself.
    http_req_failed: [`rate<${MAX_FAILED_RATE}`],
    http_req_duration: [`p(95)<${P95_MS}`],
    ...perVersionThresholds(),
  },
};

export default function canaryTraffic(): void {
  const response = http.post(`${BASE_URL}/enqueue`, JSON.stringify({ taskId: `k6-${__VU}-${__ITER}` }), {
    headers: { "content-type": "application/json" },
    timeout: "5s",
  });
  const version = response.headers["X-Queue-Manager-Version"] ?? "unknown";
  requestsByVersion.add(1, { version });
  if (response.status >= 500) failuresByVersion.add(1, { version });
  check(response, { "enqueue answered 200": (r) => r.status === 200 });
}

/** The parts of k6's summary data this script reads. */
interface SummaryData {
  metrics: Record<string, { thresholds?: Record<string, { ok: boolean }>; values: Record<string, number> }>;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const lines = ["queue-manager canary traffic: thresholds"];
  for (const [metric, { thresholds }] of Object.entries(data.metrics)) {
    for (const [threshold, { ok }] of Object.entries(thresholds ?? {})) {
      if (threshold === "count>=0") continue;
      lines.push(`  ${ok ? "ok    " : "FAILED"} ${metric}: ${threshold}`);
    }
  }
  for (const [metric, { values }] of Object.entries(data.metrics)) {
    if (metric.startsWith("queue_manager_") && metric.includes("{")) lines.push(`  ${metric} = ${values.count ?? 0}`);
  }
  const outputs: Record<string, string> = { stdout: `${lines.join("\n")}\n` };
  const summaryPath = __ENV.SUMMARY_PATH;
  if (summaryPath) outputs[summaryPath] = JSON.stringify(data, null, 2);
  return outputs;
}
