/**
 * A supervised informer (list + watch + cache keyed by UID), written for the traps of
 * `@kubernetes/client-node`'s own informer, which stops for good on any non-410 error and never
 * notices a watch that went silent:
 *  - every failure restarts it with jittered exponential backoff (metric healer_informer_restarts_total);
 *  - 410 Gone (too-old resourceVersion, as an HTTP status or a watch ERROR event) relists at once;
 *  - a watchdog restarts a watch that delivered nothing (not even a bookmark) for `watchIdleTimeoutMs`;
 *  - a periodic relist repairs anything a watch could have missed, emitting deletes for vanished objects.
 * Handlers see an object only when its resourceVersion changed, so relists do not replay history.
 * The cache holds each object as `transform` kept it, never the object the API server sent (memory at
 * 10,000 Jobs): `Raw` is what list/watch deliver, `Kept` what the cache and the handlers see.
 */
import { errorMessage } from "../runtime/errors.ts";
import { type Clock, exponentialBackoffMs, jittered, sleep } from "../runtime/clock.ts";
import { isGone, KubeApiError } from "../kube/kube-client.ts";
import type { ListWatchClient } from "../kube/kube-api.ts";
import type { ObjectMeta, WatchEventType } from "../kube/kube-types.ts";

export interface InformerHandlers<T> {
  onUpsert(object: T, previous: T | undefined): void;
  onDelete(object: T): void;
}

export interface InformerLog {
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

/** What the cache keeps of an object: at least its identity and version. */
export interface KeptObject {
  readonly uid: string;
  readonly resourceVersion: string;
}

export interface InformerOptions<Raw, Kept> {
  client: ListWatchClient<Raw>;
  namespace: string;
  labelSelector?: string;
  /**
   * What the cache keeps of each object as it arrives: only what the handlers read. `undefined` leaves
   * the object out (no UID, not one of ours), as if it were deleted.
   */
  transform: (object: Raw) => Kept | undefined;
  handlers: InformerHandlers<Kept>;
  clock: Clock;
  relistPeriodMs: number;
  watchTimeoutSeconds: number;
  watchIdleTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  random?: () => number;
  onRestart?: (reason: "error" | "watchdog" | "expired") => void;
  log: InformerLog;
}

type WatchEnd = "closed" | "expired" | "idle" | "relist-due" | "stopped";

/** A watch shorter than this that delivered nothing counts as a failure (no hot reconnect loop). */
const MIN_HEALTHY_WATCH_MS = 1000;

export class SupervisedInformer<Raw extends { metadata: ObjectMeta }, Kept extends KeptObject> {
  private readonly store = new Map<string, Kept>();
  private resourceVersion = "";
  private synced = false;
  private stopped = false;
  private readonly stopController = new AbortController();
  private currentWatch?: AbortController;
  private loopDone?: Promise<void>;

  constructor(private readonly options: InformerOptions<Raw, Kept>) {}

  get name(): string {
    return `${this.options.client.resource}/${this.options.namespace}`;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    this.currentWatch?.abort();
    await this.loopDone;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  list(): Kept[] {
    return [...this.store.values()];
  }

  get(uid: string): Kept | undefined {
    return this.store.get(uid);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let needList = true;
    let lastListMs = Number.NEGATIVE_INFINITY;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          lastListMs = this.options.clock.monotonicMs();
        }
        const startedMs = this.options.clock.monotonicMs();
        const { end, delivered } = await this.watchOnce(lastListMs);
        if (end === "stopped") return;
        if (end === "expired") {
          this.options.onRestart?.("expired");
          needList = true;
          continue;
        }
        if (end === "relist-due") {
          needList = true;
          continue;
        }
        if (end === "idle") {
          this.options.onRestart?.("watchdog");
          this.options.log.warn({ informer: this.name, idleMs: this.options.watchIdleTimeoutMs }, "watch silent past the watchdog bound; restarting it");
          continue;
        }
        if (!delivered && this.options.clock.monotonicMs() - startedMs < MIN_HEALTHY_WATCH_MS) {
          throw new Error("watch closed immediately without delivering anything");
        }
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        if (isGone(error)) {
          this.options.onRestart?.("expired");
          needList = true;
          continue;
        }
        failures++;
        this.options.onRestart?.("error");
        const delayMs = jittered(exponentialBackoffMs(failures, this.options.backoffBaseMs, this.options.backoffMaxMs), this.options.random);
        this.options.log.warn(
          { informer: this.name, failures, retryInMs: Math.round(delayMs), err: errorMessage(error) },
          "informer failed; restarting with backoff",
        );
        await sleep(this.options.clock, delayMs, this.stopController.signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.options.client.list(this.options.namespace, this.options.labelSelector);
    const seen = new Set<string>();
    for (const raw of items) {
      const object = this.options.transform(raw);
      if (!object) continue;
      seen.add(object.uid);
      this.apply(object);
    }
    for (const [uid, object] of this.store) {
      if (!seen.has(uid)) {
        this.store.delete(uid);
        this.safely(() => this.options.handlers.onDelete(object));
      }
    }
    this.resourceVersion = resourceVersion;
    this.synced = true;
    this.options.log.debug({ informer: this.name, objects: this.store.size, resourceVersion }, "listed");
  }

  private apply(object: Kept): void {
    const previous = this.store.get(object.uid);
    if (previous && previous.resourceVersion === object.resourceVersion) return;
    this.store.set(object.uid, object);
    this.safely(() => this.options.handlers.onUpsert(object, previous));
  }

  /** Forgets a cached object: deleted (`last`: its final state), or no longer kept. */
  private remove(uid: string | undefined, last?: Raw): void {
    const known = uid ? this.store.get(uid) : undefined;
    if (!uid || !known) return;
    this.store.delete(uid);
    this.safely(() => this.options.handlers.onDelete((last && this.options.transform(last)) ?? known));
  }

  private watchOnce(lastListMs: number): Promise<{ end: WatchEnd; delivered: boolean }> {
    const { clock } = this.options;
    const controller = new AbortController();
    this.currentWatch = controller;
    let end: WatchEnd = "closed";
    let delivered = false;
    let failure: unknown;
    const finish = (reason: WatchEnd) => {
      if (end === "closed") end = reason;
      controller.abort();
    };
    let watchdog = clock.setTimer(() => finish("idle"), this.options.watchIdleTimeoutMs);
    const relistTimer = clock.setTimer(() => finish("relist-due"), Math.max(0, lastListMs + this.options.relistPeriodMs - clock.monotonicMs()));

    const onEvent = (type: WatchEventType, raw: unknown) => {
      if (controller.signal.aborted) return;
      delivered = true;
      watchdog.cancel();
      watchdog = clock.setTimer(() => finish("idle"), this.options.watchIdleTimeoutMs);
      if (type === "ERROR") {
        const status = raw as { code?: number; reason?: string; message?: string };
        if (status.code === 410 || status.reason === "Expired" || status.reason === "Gone") finish("expired");
        else {
          failure = new KubeApiError(status.code ?? 500, status.reason, `watch ${this.name}: ${status.message ?? "error event"}`);
          controller.abort();
        }
        return;
      }
      const object = raw as Raw;
      const resourceVersion = object?.metadata?.resourceVersion;
      if (type === "ADDED" || type === "MODIFIED") {
        const kept = this.options.transform(object);
        if (kept) this.apply(kept);
        else this.remove(object.metadata?.uid);
      } else if (type === "DELETED") {
        this.remove(object.metadata?.uid, object);
      }
      if (resourceVersion) this.resourceVersion = resourceVersion;
    };

    const onStop = () => finish("stopped");
    this.stopController.signal.addEventListener("abort", onStop, { once: true });
    return this.options.client
      .watch(
        this.options.namespace,
        { labelSelector: this.options.labelSelector, resourceVersion: this.resourceVersion, timeoutSeconds: this.options.watchTimeoutSeconds },
        onEvent,
        controller.signal,
      )
      .finally(() => {
        watchdog.cancel();
        relistTimer.cancel();
        this.stopController.signal.removeEventListener("abort", onStop);
        this.currentWatch = undefined;
      })
      .then(() => {
        if (failure) throw failure;
        return { end, delivered };
      });
  }

  private safely(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.options.log.warn({ informer: this.name, err: errorMessage(error) }, "informer handler threw; object skipped");
    }
  }
}
