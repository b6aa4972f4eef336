/**
 * When a component first answered its health check, polled in the background from its start.
 *
 * Why: the controller-manager and the scheduler answer /healthz about a second before the API server is
 * ready (they wait for it only to start their controllers). `lab up` used to ask them only after the API
 * server was ready and while its own bootstrap (Argo's and the daemons' starts, CRDs, nodes) kept the
 * event loop busy, so the control-plane milestone timed that work, 0.5–1.2 s of it, not the components.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface FirstHealthy {
  /** Epoch milliseconds of the first healthy answer; undefined while none came. */
  at(): number | undefined;
  /** Settles once the poll ended: healthy, or stopped by the signal. Never rejects. */
  readonly ended: Promise<void>;
}

export function watchFirstHealthy(
  check: () => Promise<boolean>,
  stop: AbortSignal,
  options: { intervalMs?: number; now?: () => number } = {},
): FirstHealthy {
  const intervalMs = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let healthyAt: number | undefined;
  const ended = (async () => {
    while (!stop.aborted) {
      // A refused connection or a timeout is "not yet"; so is a non-2xx answer.
      if (await check().catch(() => false)) {
        healthyAt = now();
        return;
      }
      await sleep(intervalMs, undefined, { signal: stop }).catch(() => undefined);
    }
  })();
  return { at: () => healthyAt, ended };
}
