/** A ProbeContext / ExpectationContext over the fakes, for unit tests of probes and expectations. */
import { systemClock, type Clock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { SharedResourcePool } from "../core/shared-resources.ts";
import { RunNames } from "../core/run-names.ts";
import { Timeline } from "../core/timeline.ts";
import type { ExpectationContext } from "../expectations/expectation.ts";
import { FakeLab, fakePorts } from "./fake-lab.ts";

export function expectationContext(options: { clock?: Clock; sources?: string[]; reference?: number; deadlineMs?: number } = {}) {
  const clock = options.clock ?? systemClock;
  const lab = new FakeLab();
  const ports = fakePorts(lab);
  const timeline = new Timeline(clock);
  const shared = new SharedResourcePool();
  const controller = new AbortController();
  const reference = options.reference ?? clock.now();
  const ctx: ExpectationContext = {
    ...ports,
    description: lab.description,
    services: lab.services,
    timeline,
    clock,
    signal: controller.signal,
    shared,
    names: new RunNames("t0001"),
    log: silentLog,
    observing: (source) => (options.sources ?? ["healer", "k8s-events", "objects:Job", "objects:Pod"]).includes(source),
    runStartedAt: reference,
    reference: async () => reference,
    faultWindow: new Promise(() => undefined),
    scenarioDeadline: reference + (options.deadlineMs ?? 60_000),
    recordSample: () => undefined,
  };
  return { ctx, lab, ports, timeline, shared, controller, reference };
}
