/**
 * Recorders feed the timeline while a scenario runs (Kubernetes objects and Events, healer decisions
 * from queue-events). Each says which sources it covers once started; probes and expectations that
 * depend on a source answer "no data" when it is not covered, rather than passing on silence.
 */
import type { RunNames } from "./run-names.ts";
import type { Timeline } from "./timeline.ts";

export interface RecorderContext {
  timeline: Timeline;
  namespaces: string[];
  runStartedAt: number;
  /** The run's own tasks, once setup created them: on a shared lab, others' workers are left out. */
  names?: RunNames;
}

export interface Recorder {
  name: string;
  /** Starts recording; resolves with the sources covered (`healer`, `k8s-events`, `objects:Pod`,
   * `objects:Pod:<namespace>`, ...). */
  start(ctx: RecorderContext): Promise<string[]>;
  stop(): Promise<void>;
}
