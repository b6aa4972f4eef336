/**
 * Where the suite's wall time goes: the scenarios that ran alone (lab-wide faults: a broker down, every
 * workload's path slowed; `harness/cli/commands/run.ts` runs them one at a time) add up, while the rest
 * run side by side and cost only their span. Read from the runs' own start and end times, so it shows
 * what happened, not what the scheduler meant to do.
 */
export interface TimedScenario {
  name: string;
  startedAtMs: number;
  finishedAtMs: number;
}

export interface SuitePhases {
  /** Scenarios whose run overlapped no other one; `seconds` is the sum of their durations. */
  alone: { scenarios: string[]; seconds: number };
  /** The others; `seconds` is their span (first start to last end), `peak` the most that ran at once. */
  concurrent: { scenarios: string[]; seconds: number; peak: number };
}

/** Seconds as the bench files hold them: one decimal. */
export const round1 = (value: number) => Math.round(value * 10) / 10;
const overlaps = (a: TimedScenario, b: TimedScenario) => a.startedAtMs < b.finishedAtMs && b.startedAtMs < a.finishedAtMs;

export function suitePhases(scenarios: readonly TimedScenario[]): SuitePhases {
  const alone = scenarios.filter((scenario) => scenarios.every((other) => other === scenario || !overlaps(scenario, other)));
  const concurrent = scenarios.filter((scenario) => !alone.includes(scenario));
  // Peak concurrency: sweep the starts and ends in time order (an end before a start at the same instant).
  const edges = concurrent.flatMap((scenario) => [
    { at: scenario.startedAtMs, delta: 1 },
    { at: scenario.finishedAtMs, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const edge of edges) peak = Math.max(peak, (running += edge.delta));
  return {
    alone: { scenarios: alone.map((scenario) => scenario.name), seconds: round1(alone.reduce((sum, scenario) => sum + (scenario.finishedAtMs - scenario.startedAtMs), 0) / 1000) },
    concurrent: {
      scenarios: concurrent.map((scenario) => scenario.name),
      seconds: concurrent.length === 0 ? 0 : round1((Math.max(...concurrent.map((scenario) => scenario.finishedAtMs)) - Math.min(...concurrent.map((scenario) => scenario.startedAtMs))) / 1000),
      peak,
    },
  };
}
