/**
 * The catalog: every fault, probe, expectation and setup-action type the engine knows, gathered from
 * the per-folder registries. The schema, the loader and the runner take a catalog as an argument (unit
 * tests pass their own) and never name a type themselves.
 */
import type { ExpectationType } from "./expectations/expectation.ts";
import { EXPECTATION_TYPES } from "./expectations/registry.ts";
import type { FaultType } from "./faults/fault.ts";
import { FAULT_TYPES } from "./faults/registry.ts";
import type { ProbeType } from "./probes/probe.ts";
import { PROBE_TYPES } from "./probes/registry.ts";
import type { SetupActionType } from "./setup/setup-action.ts";
import { SETUP_ACTION_TYPES } from "./setup/registry.ts";

export interface Catalog {
  faults: readonly FaultType[];
  probes: readonly ProbeType[];
  expectations: readonly ExpectationType[];
  setup: readonly SetupActionType[];
}

export const DEFAULT_CATALOG: Catalog = {
  faults: FAULT_TYPES,
  probes: PROBE_TYPES,
  expectations: EXPECTATION_TYPES,
  setup: SETUP_ACTION_TYPES,
};

export class UnknownTypeError extends Error {
  override name = "UnknownTypeError";
}

function find<T>(items: readonly T[], key: (item: T) => string, wanted: string, what: string): T {
  const found = items.find((item) => key(item) === wanted);
  if (!found) throw new UnknownTypeError(`unknown ${what} "${wanted}" (known: ${items.map(key).join(", ")})`);
  return found;
}

export const findFault = (catalog: Catalog, type: string) => find(catalog.faults, (item) => item.type, type, "fault type");
export const findProbe = (catalog: Catalog, kind: string) => find(catalog.probes, (item) => item.kind, kind, "probe kind");
export const findExpectation = (catalog: Catalog, kind: string) => find(catalog.expectations, (item) => item.kind, kind, "expectation kind");
export const findSetupAction = (catalog: Catalog, kind: string) => find(catalog.setup, (item) => item.kind, kind, "setup action");
