/**
 * Every expectation kind: each probe as a timed expectation, plus the kinds a probe cannot express.
 * A new expectation is one module in this folder plus one line here.
 */
import { PROBE_TYPES } from "../probes/registry.ts";
import type { ExpectationType } from "./expectation.ts";
import { healerReplacedExpectation } from "./healer-replaced.ts";
import { probeExpectation } from "./probe-expectation.ts";
import { stableForExpectation } from "./stable-for.ts";
import { taskResumedExpectation } from "./task-resumed.ts";

export const EXPECTATION_TYPES: readonly ExpectationType[] = [
  ...PROBE_TYPES.map(probeExpectation),
  healerReplacedExpectation,
  stableForExpectation,
  taskResumedExpectation,
] as ExpectationType[];
