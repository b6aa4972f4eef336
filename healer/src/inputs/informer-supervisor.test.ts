import { describe, expect, it } from "vitest";
import { flushPromises, ManualClock } from "../testing/manual-clock.ts";
import { SupervisedInformer } from "./informer-supervisor.ts";
import type { ListResult, ListWatchClient, WatchOptions } from "../kube/kube-api.ts";
import { KubeApiError } from "../kube/kube-client.ts";
import type { WatchEventType } from "../kube/kube-types.ts";

interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string };
}

const obj = (name: string, resourceVersion: string): Obj => ({ metadata: { name, uid: `uid-${name}`, resourceVersion } });

/** What the test informers keep of an object; names starting with "foreign" are not kept. */
interface Kept {
  uid: string;
  resourceVersion: string;
  name: string;
}
const keep = (object: Obj): Kept | undefined =>
  object.metadata.name.startsWith("foreign") ? undefined : { uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion, name: object.metadata.name };

interface OpenWatch {
  options: WatchOptions;
  emit(type: WatchEventType, object: unknown): void;
  close(): void;
  fail(error: unknown): void;
  aborted: boolean;
}

/** A list/watch client scripted by the test: what list returns, and each watch's stream. */
class ScriptedClient implements ListWatchClient<Obj> {
  readonly resource = "jobs";
  objects: Obj[] = [];
  resourceVersion = "10";
  listCalls = 0;
  listFailures: unknown[] = [];
  watchFailures: unknown[] = [];
  readonly watches: OpenWatch[] = [];

  async list(): Promise<ListResult<Obj>> {
    this.listCalls++;
    const failure = this.listFailures.shift();
    if (failure) throw failure;
    return { items: structuredClone(this.objects), resourceVersion: this.resourceVersion };
  }

  watch(_namespace: string, options: WatchOptions, onEvent: (type: WatchEventType, object: unknown) => void, signal: AbortSignal): Promise<void> {
    const failure = this.watchFailures.shift();
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      const open: OpenWatch = { options, emit: onEvent, close: resolve, fail: reject, aborted: false };
      signal.addEventListener("abort", () => {
        open.aborted = true;
        resolve();
      });
      this.watches.push(open);
    });
  }

  get current(): OpenWatch {
    const open = this.watches.at(-1);
    if (!open) throw new Error("no watch open");
    return open;
  }
}

function setup(overrides: Partial<{ relistPeriodMs: number; watchIdleTimeoutMs: number }> = {}) {
  const clock = new ManualClock();
  const client = new ScriptedClient();
  const upserts: string[] = [];
  const deletes: string[] = [];
  const restarts: string[] = [];
  const warnings: string[] = [];
  const informer = new SupervisedInformer<Obj, Kept>({
    client,
    namespace: "streamforge",
    labelSelector: "managed=true",
    transform: keep,
    clock,
    relistPeriodMs: overrides.relistPeriodMs ?? 300_000,
    watchTimeoutSeconds: 60,
    watchIdleTimeoutMs: overrides.watchIdleTimeoutMs ?? 90_000,
    backoffBaseMs: 500,
    backoffMaxMs: 30_000,
    random: () => 1,
    onRestart: (cause) => restarts.push(cause),
    log: { warn: (_fields, message) => warnings.push(message), debug: () => undefined },
    handlers: {
      onUpsert: (object) => upserts.push(`${object.name}@${object.resourceVersion}`),
      onDelete: (object) => deletes.push(object.name),
    },
  });
  return { clock, client, informer, upserts, deletes, restarts, warnings };
}

describe("SupervisedInformer", () => {
  it("lists, then watches from the list's resourceVersion, keeping a cache keyed by UID", async () => {
    const { client, informer, upserts } = setup();
    client.objects = [obj("a", "5"), obj("b", "6")];
    informer.start();
    await flushPromises();
    expect(informer.hasSynced()).toBe(true);
    expect(upserts).toEqual(["a@5", "b@6"]);
    expect(client.current.options).toMatchObject({ resourceVersion: "10", labelSelector: "managed=true", timeoutSeconds: 60 });
    client.current.emit("MODIFIED", obj("a", "11"));
    client.current.emit("MODIFIED", obj("a", "11"));
    expect(upserts).toEqual(["a@5", "b@6", "a@11"]);
    expect(informer.get("uid-a")?.resourceVersion).toBe("11");
    await informer.stop();
  });

  it("caches what transform keeps, skips what it leaves out, and forgets an object it stops keeping", async () => {
    const { client, informer, upserts, deletes } = setup();
    client.objects = [obj("a", "5"), obj("foreign-b", "6")];
    informer.start();
    await flushPromises();
    expect(informer.list()).toEqual([{ uid: "uid-a", resourceVersion: "5", name: "a" }]);
    expect(upserts).toEqual(["a@5"]);
    // Same UID, no longer kept (a Job that lost the managed label): gone from the cache, reported deleted.
    client.current.emit("MODIFIED", { metadata: { name: "foreign-a", uid: "uid-a", resourceVersion: "7" } });
    expect(informer.get("uid-a")).toBeUndefined();
    expect(deletes).toEqual(["a"]);
    await informer.stop();
  });

  it("restarts after a non-410 error (client-node's informer would stop for good), with jittered backoff", async () => {
    const { clock, client, informer, restarts, upserts } = setup();
    client.objects = [obj("a", "5")];
    informer.start();
    await flushPromises();
    client.current.emit("ADDED", obj("b", "12"));
    client.current.fail(new KubeApiError(500, "InternalError", "etcd leader changed"));
    await flushPromises();
    expect(restarts).toEqual(["error"]);
    expect(client.watches).toHaveLength(1);
    await clock.advance(499);
    expect(client.watches).toHaveLength(1);
    await clock.advance(1);
    expect(client.watches).toHaveLength(2);
    // Resumes from the last seen resourceVersion: nothing replayed, nothing lost.
    expect(client.current.options.resourceVersion).toBe("12");
    expect(upserts).toEqual(["a@5", "b@12"]);
    await informer.stop();
  });

  it("backs off exponentially while the API server is down, and recovers", async () => {
    const { clock, client, informer, restarts } = setup();
    const down = () => new KubeApiError(503, "ServiceUnavailable", "down");
    client.listFailures = [down(), down(), down(), down()];
    informer.start();
    await flushPromises();
    const listTimes: number[] = [];
    const start = clock.monotonicMs();
    let previous = client.listCalls;
    for (let step = 0; step < 200; step++) {
      await clock.advance(100);
      if (client.listCalls !== previous) {
        listTimes.push(clock.monotonicMs() - start);
        previous = client.listCalls;
      }
    }
    expect(listTimes).toEqual([500, 1500, 3500, 7500]);
    expect(restarts).toEqual(["error", "error", "error", "error"]);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it("relists at once on 410 Expired and emits deletes for objects that vanished meanwhile", async () => {
    const { client, informer, deletes, upserts, restarts } = setup();
    client.objects = [obj("a", "5"), obj("b", "6")];
    informer.start();
    await flushPromises();
    client.objects = [obj("a", "20")];
    client.resourceVersion = "21";
    client.current.emit("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
    await flushPromises();
    expect(restarts).toEqual(["expired"]);
    expect(client.listCalls).toBe(2);
    expect(deletes).toEqual(["b"]);
    expect(upserts).toEqual(["a@5", "b@6", "a@20"]);
    expect(client.current.options.resourceVersion).toBe("21");
    await informer.stop();
  });

  it("a watchdog restarts a watch that went silent (no events, no bookmarks)", async () => {
    const { clock, client, informer, restarts, warnings } = setup({ watchIdleTimeoutMs: 90_000 });
    informer.start();
    await flushPromises();
    await clock.advance(60_000);
    client.current.emit("BOOKMARK", { metadata: { resourceVersion: "15" } });
    await clock.advance(89_999);
    expect(client.watches).toHaveLength(1);
    await clock.advance(1);
    expect(client.watches[0]!.aborted).toBe(true);
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe("15");
    expect(restarts).toEqual(["watchdog"]);
    expect(warnings).toContain("watch silent past the watchdog bound; restarting it");
    await informer.stop();
  });

  it("relists periodically even when the watch is healthy", async () => {
    const { clock, client, informer } = setup({ relistPeriodMs: 300_000, watchIdleTimeoutMs: 1_000_000 });
    informer.start();
    await flushPromises();
    expect(client.listCalls).toBe(1);
    await clock.advance(300_000);
    expect(client.listCalls).toBe(2);
    await informer.stop();
  });

  it("a watch the server ends normally is resumed without backoff or restart count", async () => {
    const { client, informer, restarts } = setup();
    informer.start();
    await flushPromises();
    client.current.emit("ADDED", obj("a", "30"));
    client.current.close();
    await flushPromises();
    expect(client.watches).toHaveLength(2);
    expect(client.current.options.resourceVersion).toBe("30");
    expect(restarts).toEqual([]);
    await informer.stop();
  });

  it("a handler that throws skips the object, not the informer", async () => {
    const clock = new ManualClock();
    const client = new ScriptedClient();
    client.objects = [obj("bad", "1"), obj("good", "2")];
    const seen: string[] = [];
    const informer = new SupervisedInformer<Obj, Kept>({
      client,
      namespace: "ns",
      transform: keep,
      clock,
      relistPeriodMs: 300_000,
      watchTimeoutSeconds: 60,
      watchIdleTimeoutMs: 90_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      log: { warn: () => undefined, debug: () => undefined },
      handlers: {
        onUpsert: (object) => {
          if (object.name === "bad") throw new Error("bug");
          seen.push(object.name);
        },
        onDelete: () => undefined,
      },
    });
    informer.start();
    await flushPromises();
    expect(seen).toEqual(["good"]);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });
});
