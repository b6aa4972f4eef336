/**
 * The Scenario schema (apiVersion chaoslab.streamforge.io/v1alpha1), built from a catalog: fault, probe,
 * expectation and setup-action schemas come from their modules, so a new type needs no change here.
 * Strict everywhere (unknown keys are errors); durations become milliseconds; `kind: params` entries
 * (setup, probes, expectations) become `{kind, params}`.
 *
 * `scenarios/schema.json` is generated from this (generate-schema.ts) for editors; a unit test fails
 * when the committed file is stale.
 */
import { z } from "zod";
import type { Catalog } from "../catalog.ts";
import { isProtectedNamespace, PROTECTED_NAMESPACES, safetySchema, type SafetyPolicy } from "../core/safety.ts";
import { probeParamsSchema } from "../probes/probe.ts";
import { duration } from "../core/duration-field.ts";
import { type DurationMs } from "../../workloads/queue-events/duration.ts";

export const API_VERSION = "chaoslab.streamforge.io/v1alpha1";
export const KIND = "Scenario";
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_HINT = "lowercase letters, digits and '-', starting and ending with a letter or digit";
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_CONFIRM_WITHIN_MS = 30_000;
export const DEFAULT_STEADY_STATE_TIMEOUT_MS = 30_000;
/** Reference moments every expectation may use in `since`, besides fault names. */
export const PHASE_REFERENCES = ["setup", "faults"] as const;

/** A `kind: params` entry after parsing. */
export interface KindEntry {
  kind: string;
  params: unknown;
}

/** A fault's `after:` (engine/fault-schedule.ts reads it): an offset into the faults phase, or after an earlier fault took effect. */
export type FaultStartEntry = DurationMs | { fault: string; by: DurationMs };

export interface FaultEntry {
  type: string;
  name: string;
  target: unknown;
  params: unknown;
  duration?: DurationMs;
  confirmWithin: DurationMs;
  /** Absent: the fault starts once the previous one is reverted (faults one after another). */
  after?: FaultStartEntry;
}

export interface SteadyStateEntry {
  probe: KindEntry;
  /** How long the check may poll until it holds. */
  timeout: DurationMs;
}

export interface Scenario {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name: string; title?: string; labels: string[] };
  spec: {
    timeout: DurationMs;
    seed?: number;
    safety: SafetyPolicy;
    setup: KindEntry[];
    steadyState: SteadyStateEntry[];
    faults: FaultEntry[];
    expect: KindEntry[];
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function suggest(wanted: string, known: readonly string[]): string {
  const best = known
    .map((candidate) => ({ candidate, distance: editDistance(wanted.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? `; did you mean "${best.candidate}"?` : "";
}

/**
 * A mapping with exactly one key out of `entries`, e.g. `{kafka.lag: {group: x, max: 10}}`, parsed to
 * `{kind, params}`. In the JSON Schema it is an object with one of the known properties.
 */
function oneOfKinds(what: string, entries: readonly { kind: string; summary: string; schema: z.ZodType }[]) {
  const known = entries.map((entry) => entry.kind);
  const shape = Object.fromEntries(entries.map((entry) => [entry.kind, entry.schema.optional().meta({ description: entry.summary })]));
  return z
    .object(shape, {
      error: (issue) => {
        if (issue.code === "unrecognized_keys") {
          const key = issue.keys[0] ?? "";
          return `unknown ${what} "${key}"${suggest(key, known)} (known: ${known.join(", ")})`;
        }
        if (issue.code === "invalid_type") return `expected a ${what} as a mapping \`<kind>: {params}\` (one of: ${known.join(", ")})`;
        return undefined;
      },
    })
    .strict()
    .superRefine((value, ctx) => {
      const present = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
      if (present.length !== 1) {
        ctx.addIssue({
          code: "custom",
          message: present.length === 0 ? `empty ${what}: give one of ${known.join(", ")}` : `one ${what} per list item, found ${present.length}: ${present.join(", ")}`,
        });
      }
    })
    .transform((value): KindEntry => {
      const [kind, params] = Object.entries(value).find(([, params]) => params !== undefined)!;
      return { kind, params };
    })
    .meta({ minProperties: 1, maxProperties: 1 });
}

/** `after: 10s` (into the faults phase) or `after: {fault: slow-kafka, by: 10s}`; the faults may then overlap. */
const faultStart = z
  .union([
    duration({ description: "Start this long after the faults phase starts (faults may overlap)." }),
    z.object({ fault: z.string().meta({ description: "An earlier fault of this scenario." }), by: duration().default(0) }).strict(),
  ])
  .meta({ description: "When the fault starts. Absent: after the previous fault is reverted (one after another)." });

/** Rules across entries that the per-field schemas cannot see: names, references, timeouts, protected namespaces. */
function crossCheck(scenario: { spec: { faults: unknown[]; timeout?: number; safety: SafetyPolicy; expect: KindEntry[] } }, ctx: z.RefinementCtx): void {
  const faults = scenario.spec.faults as { type: string; name?: string; duration?: number; target?: { namespace?: string }; after?: FaultStartEntry }[];
  const names = faults.map((entry, index) => entry.name ?? `${entry.type}-${index + 1}`);
  const timeout = scenario.spec.timeout ?? DEFAULT_TIMEOUT_MS;
  const allowed = scenario.spec.safety.allowedNamespaces;
  faults.forEach((entry, index) => {
    if (entry.duration !== undefined && entry.duration > timeout) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "faults", index, "duration"],
        message: `the fault lasts ${entry.duration / 1000}s, longer than the scenario's timeout of ${timeout / 1000}s: it could never be reverted in time. Shorten it or raise spec.timeout`,
      });
    }
    if (typeof entry.after === "number" && entry.after + (entry.duration ?? 0) > timeout) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "faults", index, "after"],
        message: `the fault starts ${entry.after / 1000}s into the faults and lasts ${(entry.duration ?? 0) / 1000}s, past the scenario's timeout of ${timeout / 1000}s. Start it sooner or raise spec.timeout`,
      });
    }
    // System and lab-control namespaces only when the scenario names them itself, never by default.
    const namespace = entry.target?.namespace;
    if (namespace !== undefined && isProtectedNamespace(namespace) && !allowed.includes(namespace)) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "faults", index, "target", "namespace"],
        message: `${namespace} is a protected namespace (${PROTECTED_NAMESPACES.join(", ")}): list it in spec.safety.allowedNamespaces to target it on purpose`,
      });
    }
  });
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index) ctx.addIssue({ code: "custom", path: ["spec", "faults", index, "name"], message: `fault name "${name}" is used twice` });
    if ((PHASE_REFERENCES as readonly string[]).includes(name)) ctx.addIssue({ code: "custom", path: ["spec", "faults", index, "name"], message: `fault name "${name}" is reserved (it names a phase in since:)` });
    const after = faults[index]!.after;
    // Only an earlier fault: a schedule that could wait on itself (or a later fault) never starts.
    if (typeof after === "object" && !names.slice(0, index).includes(after.fault)) {
      const earlier = names.slice(0, index);
      const why = after.fault === name ? "a fault cannot start after itself" : names.includes(after.fault) ? `${after.fault} comes later in the list; name an earlier fault` : `no fault ${after.fault} in this scenario${suggest(after.fault, earlier)}`;
      ctx.addIssue({ code: "custom", path: ["spec", "faults", index, "after", "fault"], message: `after: ${why} (earlier faults: ${earlier.join(", ") || "none"})` });
    }
  });
  const references = [...PHASE_REFERENCES, ...names];
  scenario.spec.expect.forEach((entry, index) => {
    const since = (entry.params as { since?: unknown } | undefined)?.since;
    if (typeof since === "string" && !references.includes(since)) {
      ctx.addIssue({
        code: "custom",
        path: ["spec", "expect", index, entry.kind, "since"],
        message: `since: "${since}" is neither a phase (${PHASE_REFERENCES.join(", ")}) nor a fault of this scenario (${[...new Set(names)].join(", ") || "none"})${suggest(since, references)}`,
      });
    }
  });
}

export function buildScenarioSchema(catalog: Catalog) {
  const faultTypes = catalog.faults.map((fault) => fault.type);
  const faultOptions = catalog.faults.map((fault) =>
    z
      .object({
        type: z.literal(fault.type),
        name: z.string().regex(NAME, { error: `fault name: ${NAME_HINT}` }).max(63).optional().meta({ description: "Unique in the scenario; default <type>-<position>." }),
        target: fault.target,
        params: fault.params,
        ...(fault.duration === "required" ? { duration: duration({ min: 1, description: "How long the fault stays in effect." }) } : {}),
        confirmWithin: duration({ min: 1, description: "How long the effect may take to show before the fault is inconclusive. Default 30s." }).optional(),
        after: faultStart.optional(),
      })
      .strict()
      .meta({ title: fault.type, description: fault.summary }),
  );
  const fault = z.discriminatedUnion("type", faultOptions as unknown as [z.ZodObject, ...z.ZodObject[]], {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const type = (issue.input as { type?: unknown } | undefined)?.type;
      if (type === undefined) return `a fault needs a type (one of: ${faultTypes.join(", ")})`;
      return `unknown fault type ${JSON.stringify(type)}${typeof type === "string" ? suggest(type, faultTypes) : ""} (known: ${faultTypes.join(", ")})`;
    },
  });

  const probeRef = oneOfKinds("probe", catalog.probes.map((probe) => ({ kind: probe.kind, summary: probe.summary, schema: probeParamsSchema(probe) })));
  const expectation = oneOfKinds("expectation", catalog.expectations.map((item) => ({ kind: item.kind, summary: item.summary, schema: item.params })));
  const setupAction = oneOfKinds("setup action", catalog.setup.map((item) => ({ kind: item.kind, summary: item.summary, schema: item.params })));

  const steadyState = z
    .object({
      probe: probeRef,
      timeout: duration({ description: "How long the check may poll until it holds. Default 30s." }).optional(),
    })
    .strict()
    .transform((value): SteadyStateEntry => ({ probe: value.probe, timeout: value.timeout ?? DEFAULT_STEADY_STATE_TIMEOUT_MS }));

  return z
    .object({
      apiVersion: z.literal(API_VERSION, { error: (issue) => `apiVersion must be ${API_VERSION}, found ${JSON.stringify(issue.input)}` }),
      kind: z.literal(KIND, { error: (issue) => `kind must be ${KIND}, found ${JSON.stringify(issue.input)}` }),
      metadata: z
        .object({
          name: z.string().regex(NAME, { error: `metadata.name: ${NAME_HINT}` }).max(63).meta({ description: "Stable id: history and trends key on it." }),
          title: z.string().min(1).optional(),
          labels: z.array(z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, { error: "labels are words like smoke, nightly, healer" })).default([]),
        })
        .strict(),
      spec: z
        .object({
          timeout: duration({ min: 1, description: "The whole scenario's budget. Default 5m." }).optional(),
          seed: z.number().int().min(0).max(2 ** 31 - 1).optional().meta({ description: "Seed for every random choice; generated and recorded when absent." }),
          safety: safetySchema,
          setup: z.array(setupAction).default([]),
          steadyState: z.array(steadyState).default([]).meta({ description: "Must hold before injecting and again after recovery." }),
          faults: z.array(fault).default([]),
          expect: z.array(expectation).default([]),
        })
        .strict(),
    })
    .strict()
    .superRefine((scenario, ctx) => crossCheck(scenario, ctx))
    .transform((scenario): Scenario => ({
      ...(scenario as unknown as Scenario),
      spec: {
        ...(scenario.spec as unknown as Scenario["spec"]),
        timeout: scenario.spec.timeout ?? DEFAULT_TIMEOUT_MS,
        faults: (scenario.spec.faults as unknown as (Omit<FaultEntry, "name" | "confirmWithin"> & { name?: string; confirmWithin?: DurationMs })[]).map((entry, index) => ({
          ...entry,
          name: entry.name ?? `${entry.type}-${index + 1}`,
          confirmWithin: entry.confirmWithin ?? DEFAULT_CONFIRM_WITHIN_MS,
        })),
      },
    }));
}

export type ScenarioSchema = ReturnType<typeof buildScenarioSchema>;

/** JSON Schema of scenario files as written (input side: durations are strings). */
export function scenarioJsonSchema(catalog: Catalog): Record<string, unknown> {
  const schema = z.toJSONSchema(buildScenarioSchema(catalog), { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: "https://streamforge.io/chaoslab/scenario.schema.json",
    title: "StreamForge Chaos Lab Scenario",
    description: `A resilience scenario (${API_VERSION}). Generated from harness/scenario/schema.ts by harness/scenario/generate-schema.ts — do not edit.`,
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$schema")),
  };
}
