/** Builds engine contexts over the fakes, for unit tests of single modules. */
import os from "node:os";
import path from "node:path";
import fs from "node:fs/promises";
import { systemClock, type Clock } from "../core/clock.ts";
import { silentLog, type PlanContext } from "../core/context.ts";
import { deriveRng } from "../core/rng.ts";
import { safetySchema, type SafetyPolicy } from "../core/safety.ts";
import { SharedResourcePool } from "../core/shared-resources.ts";
import { RunNames } from "../core/run-names.ts";
import { Timeline } from "../core/timeline.ts";
import type { FaultContext, FaultSpec } from "../faults/fault.ts";
import { FakeLab, fakePorts } from "./fake-lab.ts";

export interface FaultHarness<Action> {
  lab: FakeLab;
  ports: ReturnType<typeof fakePorts>;
  journaled: { action: Action; description: string }[];
  injectedAt?: number;
  ctx: FaultContext<Action>;
  plan: PlanContext;
}

export function faultHarness<Action>(
  spec: Omit<FaultSpec<unknown, unknown>, "confirmWithinMs"> & { confirmWithinMs?: number },
  options: { safety?: Partial<SafetyPolicy>; seed?: number; clock?: Clock; lab?: FakeLab } = {},
): FaultHarness<Action> {
  const lab = options.lab ?? new FakeLab();
  const ports = fakePorts(lab);
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 42;
  const plan: PlanContext = {
    kube: ports.kube,
    kafka: ports.kafka,
    kafkaWorkloads: ports.kafkaWorkloads,
    scenario: "test",
    description: lab.description,
    brokerPaths: () => lab.network.brokerPaths(),
    safety: safetySchema.parse(options.safety ?? {}),
    seed,
    rng: (...labels) => deriveRng(seed, `fault:${spec.name}`, ...labels),
    log: silentLog,
  };
  const harness: FaultHarness<Action> = {
    lab,
    ports,
    journaled: [],
    plan,
    ctx: undefined as unknown as FaultContext<Action>,
  };
  harness.ctx = {
    ...plan,
    ...ports,
    runId: "rtest-0001",
    scenarioDir: os.tmpdir(),
    artifactsDir: os.tmpdir(),
    lab,
    clock,
    timeline: new Timeline(clock),
    signal: new AbortController().signal,
    shared: new SharedResourcePool(),
    names: new RunNames("t0001"),
    spec: { confirmWithinMs: 2_000, ...spec },
    journal: {
      record: async (action, description) => {
        harness.journaled.push({ action, description });
      },
    },
    markInjected: () => {
      harness.injectedAt ??= clock.now();
    },
  };
  return harness;
}

export async function temporaryDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
}
