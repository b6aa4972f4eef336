/**
 * A simulated cluster for running the whole healer in-process (`startHealer`) on simulated time: the
 * in-memory API server with its Job controller and kubelet, the in-memory topic, loader workers that
 * heartbeat, and healer processes that can be killed. Used by healer*.test.ts.
 */
import { LABELS } from "../../../workloads/queue-events/contract.ts";
import { startHealer, type StartedHealer } from "../healer.ts";
import type { JobJson, PodJson } from "../kube/kube-types.ts";
import { createMetrics } from "../outputs/metrics.ts";
import type { TimerHandle } from "../runtime/clock.ts";
import { ManualClock } from "./manual-clock.ts";
import type { FaultPoint, HealerConfig } from "../runtime/config.ts";
import { FakeKafka } from "./fake-kafka.ts";
import { FakeKube } from "./fake-kube.ts";
import { captureLogger, type CapturedLog, loaderJob, NAMESPACE, testConfig, workerEvent } from "./fixtures.ts";

export interface Lab {
  clock: ManualClock;
  kube: FakeKube;
  kafka: FakeKafka;
  healers: StartedHealer[];
  logs: CapturedLog[];
  timers: TimerHandle[];
}

let current: Lab | undefined;

/** For `afterEach`: stops the cluster's controllers and every healer of the lab the test made. */
export async function stopCurrentLab(): Promise<void> {
  if (!current) return;
  for (const timer of current.timers) timer.cancel();
  await Promise.all(current.healers.map((healer) => healer.stop()));
  current = undefined;
}

export function newLab(): Lab {
  const clock = new ManualClock();
  const kube = new FakeKube(clock);
  const kafka = new FakeKafka(3, () => clock.monotonicMs());
  const lab: Lab = { clock, kube, kafka, healers: [], logs: [], timers: [] };
  // The cluster's own controllers: the Job controller gives active Jobs pods, the kubelet finishes deletions.
  const controllers = () => {
    kube.reapPods();
    kube.syncJobs();
    lab.timers.push(clock.setTimer(controllers, 200));
  };
  controllers();
  current = lab;
  return lab;
}

/**
 * The API as one healer process sees it; `kill()` makes every call from it hang forever and silences
 * its consumer — what the rest of the world sees of a process that was SIGKILLed.
 */
export function processView(lab: Lab) {
  let dead = false;
  const never = new Promise<never>(() => undefined);
  const api = new Proxy(lab.kube, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => (dead ? never : value.apply(target, args));
    },
  }) as FakeKube;
  const listWatch = <T>(kind: "jobs" | "pods") => {
    const real = lab.kube.listWatch<T>(kind);
    return {
      resource: real.resource,
      list: (...args: Parameters<typeof real.list>) => (dead ? never : real.list(...args)),
      watch: (...args: Parameters<typeof real.watch>) => (dead ? never : real.watch(...args)),
    };
  };
  const streams = lab.kafka.factory();
  const mine: Array<ReturnType<typeof streams>> = [];
  return {
    api,
    jobs: listWatch<JobJson>("jobs"),
    pods: listWatch<PodJson>("pods"),
    eventStreams: () => {
      const stream = streams();
      mine.push(stream);
      return stream;
    },
    kill: () => {
      dead = true;
      for (const stream of mine) (stream as unknown as { running: boolean }).running = false;
    },
  };
}

export async function addHealer(
  lab: Lab,
  env: Record<string, string> = {},
  extra: { faultPoint?: (point: FaultPoint) => void; http?: boolean; view?: ReturnType<typeof processView> } = {},
) {
  const config: HealerConfig = testConfig(env);
  const log = captureLogger("info");
  const healer = await startHealer(config, {
    kube: extra.view?.api ?? lab.kube,
    jobs: extra.view?.jobs ?? lab.kube.listWatch<JobJson>("jobs"),
    pods: extra.view?.pods ?? lab.kube.listWatch<PodJson>("pods"),
    eventStreams: extra.view?.eventStreams ?? lab.kafka.factory(),
    sink: lab.kafka.sink(),
    clock: lab.clock,
    logger: log.logger,
    metrics: createMetrics({ defaultMetrics: false }),
    random: () => 0.5,
    http: extra.http ?? false,
    faultPoint: extra.faultPoint,
  });
  lab.healers.push(healer);
  lab.logs.push(log);
  return { healer, log };
}

export async function createLoader(lab: Lab, name: string, options: Parameters<typeof loaderJob>[1] = {}): Promise<JobJson> {
  const job = await lab.kube.createJob(NAMESPACE, loaderJob(name, options));
  lab.kube.syncJobs();
  return job;
}

/** A loader's event stream: started, then a heartbeat with growing progress every `everyMs` while `alive()`. */
export function worker(lab: Lab, job: JobJson, options: { everyMs?: number; alive?: () => boolean } = {}) {
  let seq = 0;
  let progress = 0;
  const state = { stopped: false };
  lab.kafka.publish(workerEvent(job, "started", seq++, { progress: 0 }));
  const beat = () => {
    if (state.stopped) return;
    if (options.alive?.() ?? true) {
      progress += 10;
      // While Kafka is down the loader's sends fail; it keeps going (its events are lost or late).
      lab.kafka.publish(workerEvent(job, "heartbeat", seq++, { progress }));
    }
    lab.timers.push(lab.clock.setTimer(beat, options.everyMs ?? 1_000));
  };
  lab.timers.push(lab.clock.setTimer(beat, options.everyMs ?? 1_000));
  return state;
}

/**
 * The loader process in every pod: each Job that has a live pod gets a worker; a worker dies with its
 * pod. `silent(job)` picks the Jobs whose process hangs (never says anything).
 */
export function fleet(lab: Lab, silent: (job: JobJson) => boolean = () => false) {
  const started = new Set<string>();
  const scan = () => {
    for (const job of lab.kube.jobs(NAMESPACE)) {
      const uid = job.metadata.uid!;
      if (started.has(uid) || lab.kube.livePodsOf(uid).length === 0) continue;
      started.add(uid);
      if (!silent(job)) worker(lab, job, { alive: () => lab.kube.livePodsOf(uid).length > 0 });
    }
    lab.timers.push(lab.clock.setTimer(scan, 200));
  };
  scan();
}

export function jobsOfTask(lab: Lab, taskId: string): JobJson[] {
  return lab.kube.jobs(NAMESPACE).filter((job) => job.metadata.labels?.[LABELS.taskId] === taskId);
}

export async function metricValue(healer: StartedHealer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const all = await healer.metrics.registry.getMetricsAsJSON();
  const histogramPart = name.endsWith("_count") || name.endsWith("_sum") ? name.replace(/_(count|sum)$/, "") : undefined;
  const metric = all.find((candidate) => candidate.name === (histogramPart ?? name));
  const values = ((metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>).filter(
    (value) => histogramPart === undefined || value.metricName === name,
  );
  return values
    .filter((value) => Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected))
    .reduce((sum, value) => sum + value.value, 0);
}
