import fs from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { systemClock } from "./clock.ts";
import { silentLog } from "./context.ts";
import { RevertJournal, type ReverterLookup } from "./journal.ts";
import { temporaryDir } from "../testing/contexts.ts";
import { FakeKube, FakeLab } from "../testing/fake-lab.ts";

const lab = { provider: "sim", stateDir: "/tmp/lab", kubeconfig: "/tmp/lab/kubeconfig" };
const ctx = { lab: new FakeLab(), kube: new FakeKube(), clock: systemClock, log: silentLog };

function lookup(log: string[], failing = new Set<string>()): ReverterLookup {
  return (owner, type) =>
    type === "unknown"
      ? undefined
      : {
          revertAction: z.object({ id: z.string() }),
          revert: async (action) => {
            const { id } = action as { id: string };
            if (failing.has(id)) throw new Error(`cannot revert ${id}`);
            log.push(`${owner}:${type}:${id}`);
          },
        };
}

describe("the revert journal", () => {
  it("is on disk after every record, before the caller mutates anything", async () => {
    const dir = await temporaryDir("journal");
    const journal = await RevertJournal.create({ dir, runId: "r1", scenario: "s", lab, now: 1 });
    await journal.record({ owner: "fault", type: "t", element: "f", description: "undo a", action: { id: "a" } }, 2);
    const onDisk = JSON.parse(await fs.readFile(journal.file, "utf8"));
    expect(onDisk).toMatchObject({ version: 1, runId: "r1", pid: process.pid, lab, entries: [{ owner: "fault", type: "t", element: "f", action: { id: "a" }, state: "pending" }] });
  });

  it("replays newest first, through the module that wrote each entry, and only the filtered ones", async () => {
    const dir = await temporaryDir("journal");
    const journal = await RevertJournal.create({ dir, runId: "r2", scenario: "s", lab, now: 1 });
    for (const id of ["a", "b", "c"]) await journal.record({ owner: id === "a" ? "setup" : "fault", type: "t", element: id === "c" ? "f2" : "f1", description: id, action: { id } }, 2);
    const log: string[] = [];
    await journal.replay(lookup(log), ctx, (entry) => entry.owner === "fault" && entry.element === "f2");
    await journal.replay(lookup(log), ctx);
    expect(log).toEqual(["fault:t:c", "fault:t:b", "setup:t:a"]);
    expect(await journal.close()).toEqual({ removed: true });
  });

  it("keeps going past a failing revert, records why, and keeps the file", async () => {
    const dir = await temporaryDir("journal");
    const journal = await RevertJournal.create({ dir, runId: "r3", scenario: "s", lab, now: 1 });
    await journal.record({ owner: "fault", type: "t", element: "f", description: "a", action: { id: "a" } }, 2);
    await journal.record({ owner: "fault", type: "unknown", element: "f", description: "u", action: { id: "u" } }, 2);
    await journal.record({ owner: "fault", type: "t", element: "f", description: "b", action: { id: "b" } }, 2);
    const log: string[] = [];
    const report = await journal.replay(lookup(log, new Set(["b"])), ctx);
    expect(log).toEqual(["fault:t:a"]);
    expect(report.failed.map((entry) => [entry.description, entry.error])).toEqual([
      ["b", "cannot revert b"],
      ["u", 'no fault module "unknown" knows how to revert this (was the harness changed since the run?)'],
    ]);
    expect(await journal.close()).toEqual({ removed: false });
    const reopened = await RevertJournal.open(journal.file);
    expect(reopened.pending().map((entry) => entry.state)).toEqual(["failed", "failed"]);
  });

  it("lists journals and tells which writer is gone (a crashed run)", async () => {
    const dir = await temporaryDir("journal");
    const journal = await RevertJournal.create({ dir, runId: "r4", scenario: "s", lab, now: 1 });
    const data = JSON.parse(await fs.readFile(journal.file, "utf8"));
    await fs.writeFile(journal.file, JSON.stringify({ ...data, pid: 2 ** 22 + 12345 }));
    await fs.writeFile(`${dir}/garbage.json`, "{}");
    const listed = await RevertJournal.list(dir);
    expect(listed.map((item) => [item.file.split("/").pop(), item.writerAlive, item.error === undefined])).toEqual([
      ["garbage.json", false, false],
      ["r4.json", false, true],
    ]);
  });
});
