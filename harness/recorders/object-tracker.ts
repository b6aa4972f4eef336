/**
 * Turns watch events into timeline changes: created, deleted, or recreated under the same name with a
 * new UID (a StatefulSet pod, a re-created Job). Status updates are not changes. Objects present when
 * tracking starts are the baseline, not "added".
 */
import type { EntryOf } from "../../reports/results/timeline.ts";

type ObjectChange = Omit<EntryOf<"object">, "at"> & { at?: number };

export interface WatchedObject {
  name: string;
  namespace: string;
  uid: string;
}

export class ObjectTracker {
  private readonly uids = new Map<string, string>();

  constructor(private readonly objectKind: string) {}

  baseline(objects: readonly WatchedObject[]): void {
    for (const object of objects) this.uids.set(key(object), object.uid);
  }

  /** A watch event; returns the change to record, if any. */
  observe(type: "ADDED" | "MODIFIED" | "DELETED", object: WatchedObject): ObjectChange | undefined {
    const previous = this.uids.get(key(object));
    const change = { kind: "object" as const, objectKind: this.objectKind, namespace: object.namespace, name: object.name, uid: object.uid };
    if (type === "DELETED") {
      if (previous !== object.uid) return undefined;
      this.uids.delete(key(object));
      return { ...change, change: "deleted" };
    }
    if (previous === object.uid) return undefined;
    this.uids.set(key(object), object.uid);
    if (previous === undefined) return { ...change, change: "added" };
    return { ...change, change: "uid-changed", previousUid: previous };
  }

  /** After a watch restart: what the fresh list says changed while nobody was watching. */
  resync(objects: readonly WatchedObject[]): ObjectChange[] {
    const changes: ObjectChange[] = [];
    const current = new Map(objects.map((object) => [key(object), object]));
    for (const [objectKey, uid] of [...this.uids]) {
      if (!current.has(objectKey)) {
        const [namespace, name] = objectKey.split("/") as [string, string];
        changes.push(this.observe("DELETED", { namespace, name, uid })!);
      }
    }
    for (const object of objects) {
      const change = this.observe("ADDED", object);
      if (change) changes.push({ ...change, detail: "seen on relist after a watch restart" });
    }
    return changes;
  }
}

const key = (object: { namespace: string; name: string }) => `${object.namespace}/${object.name}`;
