/**
 * The loader's fault profiles: how a scenario makes a loader misbehave on purpose, so that the healer's
 * detection classes (STOP, STALL, REWIND, FAULT) and the Job's own failure handling can be tested.
 *
 * Grammar (env `FAULT`, comma-separated tokens; empty or `none` = no fault):
 *   <kind>-after=<duration>   starts a fault, `after` measured from the loader's `started` event
 *   <param>=<value>           a parameter of the fault before it
 *
 *   stall-after=5s                  stop all events and production, keep running (healer: STOP)
 *   heartbeat-only-after=5s         keep heartbeats, stop production and progress (healer: STALL)
 *   crash-after=5s[,exit=3]         exit at once with the code (default 1), no flush (Job: pod failed)
 *   fatal-after=5s                  report an error, flush, exit LOADER_FATAL_EXIT_CODE (Job: FailJob)
 *   critical-error-after=5s         emit an `error` event with severity critical, keep running (healer: FAULT)
 *   rewind-after=5s[,by=N]          the event `seq` jumps back by N (default: to 0), then goes on (healer: REWIND)
 *
 * Several faults may be combined: `critical-error-after=2s,stall-after=10s`.
 */
import { LOADER_FATAL_EXIT_CODE } from "../queue-events/contract.ts";
import { formatDuration, requireDuration } from "../queue-events/duration.ts";

export const FAULT_KINDS = ["stall", "heartbeat-only", "crash", "fatal", "critical-error", "rewind"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type Fault =
  | { kind: "stall"; afterMs: number }
  | { kind: "heartbeat-only"; afterMs: number }
  | { kind: "crash"; afterMs: number; exitCode: number }
  | { kind: "fatal"; afterMs: number }
  | { kind: "critical-error"; afterMs: number }
  | { kind: "rewind"; afterMs: number; by?: number };

const PARAMS: Record<FaultKind, readonly string[]> = {
  stall: [],
  "heartbeat-only": [],
  crash: ["exit"],
  fatal: [],
  "critical-error": [],
  rewind: ["by"],
};

const EXAMPLE = "e.g. stall-after=5s or crash-after=5s,exit=3";

export class FaultProfileError extends Error {
  override name = "FaultProfileError";
}

/** Parses env `FAULT`; throws FaultProfileError naming the profile, the token and what was expected. */
export function parseFaultProfile(text: string | undefined): Fault[] {
  const profile = (text ?? "").trim();
  if (profile === "" || profile === "none") return [];
  const fail = (token: string, problem: string): never => {
    throw new FaultProfileError(`FAULT=${JSON.stringify(profile)}: ${problem} in token ${JSON.stringify(token)} (${EXAMPLE})`);
  };

  const faults: Fault[] = [];
  let current: { kind: FaultKind; afterMs: number; params: Map<string, string> } | undefined;
  const seen = new Set<FaultKind>();
  const finish = () => {
    if (current) faults.push(buildFault(current.kind, current.afterMs, current.params, fail));
  };

  for (const rawToken of profile.split(",")) {
    const token = rawToken.trim();
    const eq = token.indexOf("=");
    if (eq <= 0 || eq === token.length - 1) fail(token, "expected name=value");
    const name = token.slice(0, eq).trim();
    const value = token.slice(eq + 1).trim();
    if (name.endsWith("-after")) {
      const kind = name.slice(0, -"-after".length);
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
        fail(token, `unknown fault "${kind}"; known: ${FAULT_KINDS.map((k) => `${k}-after`).join(", ")}`);
      }
      if (seen.has(kind as FaultKind)) fail(token, `fault "${kind}" given twice`);
      let afterMs = 0;
      try {
        afterMs = requireDuration(value, `${kind}-after`);
      } catch (error) {
        fail(token, (error as Error).message);
      }
      finish();
      seen.add(kind as FaultKind);
      current = { kind: kind as FaultKind, afterMs, params: new Map() };
      continue;
    }
    if (!current) fail(token, `parameter "${name}" before any <fault>-after=<duration>`);
    const allowed = PARAMS[current!.kind];
    if (!allowed.includes(name)) {
      fail(token, `unknown parameter "${name}" for ${current!.kind}-after (allowed: ${allowed.join(", ") || "none"})`);
    }
    if (current!.params.has(name)) fail(token, `parameter "${name}" given twice`);
    current!.params.set(name, value);
  }
  finish();
  return faults;
}

function buildFault(
  kind: FaultKind,
  afterMs: number,
  params: Map<string, string>,
  fail: (token: string, problem: string) => never,
): Fault {
  switch (kind) {
    case "crash": {
      const raw = params.get("exit") ?? "1";
      const exitCode = Number(raw);
      if (!Number.isInteger(exitCode) || exitCode < 1 || exitCode > 255) {
        fail(`exit=${raw}`, "expected an exit code 1..255 (0 would complete the Job)");
      }
      if (exitCode === LOADER_FATAL_EXIT_CODE) {
        fail(`exit=${raw}`, `${LOADER_FATAL_EXIT_CODE} is the fatal exit code; use fatal-after=<duration> for that`);
      }
      return { kind, afterMs, exitCode };
    }
    case "rewind": {
      const raw = params.get("by");
      if (raw === undefined) return { kind, afterMs };
      const by = Number(raw);
      if (!Number.isInteger(by) || by < 1) fail(`by=${raw}`, "expected a positive whole number of events");
      return { kind, afterMs, by };
    }
    default:
      return { kind, afterMs };
  }
}

/** The `FAULT` env value for faults (inverse of parseFaultProfile; `none` for no fault). */
export function formatFaultProfile(faults: readonly Fault[]): string {
  if (faults.length === 0) return "none";
  return faults
    .map((fault) => {
      const tokens = [`${fault.kind}-after=${formatDuration(fault.afterMs)}`];
      if (fault.kind === "crash") tokens.push(`exit=${fault.exitCode}`);
      if (fault.kind === "rewind" && fault.by !== undefined) tokens.push(`by=${fault.by}`);
      return tokens.join(",");
    })
    .join(",");
}
