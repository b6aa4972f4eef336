/**
 * The runner's unit-test world: a fake fault, probe and setup action acting on an in-memory world, and
 * a helper that runs a scenario text against it on the fake lab (used by runner and schedule tests).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog.ts";
import { probeExpectation } from "../expectations/probe-expectation.ts";
import { stableForExpectation } from "../expectations/stable-for.ts";
import { defineFault, NoEvidenceError } from "../faults/fault.ts";
import { defineProbe } from "../probes/probe.ts";
import { parseScenario, formatDiagnostic } from "../scenario/loader.ts";
import { defineSetupAction } from "../setup/setup-action.ts";
import { FakeLab, fakePorts } from "./fake-lab.ts";
import { temporaryDir } from "./contexts.ts";
import { systemClock } from "../core/clock.ts";
import { silentLog } from "../core/context.ts";
import { runScenario } from "../engine/runner.ts";
import type { ScenarioRunDeps } from "../engine/run-state.ts";

/** The world the fakes act on. */
export class World {
  flags = new Map<string, boolean | undefined>();
  active = new Set<string>();
  failRevert = false;
  journalSeenBeforeMutation: boolean[] = [];
  journalDir = "";
  /** Targets in the order the fake fault reverted them. */
  reverted: string[] = [];
}

export function testCatalog(world: World): Catalog {
  const fakeFault = defineFault({
    type: "fake-fault",
    summary: "test fault",
    target: z.object({ id: z.string() }).strict(),
    params: z.object({ evidence: z.boolean().default(true), leak: z.boolean().default(false), healAfterMs: z.number().default(100) }).strict().prefault({}),
    duration: "required",
    revertAction: z.object({ id: z.string() }).strict(),
    create: (spec) => ({
      async plan() {
        return { fault: spec.name, type: spec.type, targets: [{ kind: "pod", id: spec.target.id }], candidates: 1, safety: { ok: true, violations: [] }, notes: [] };
      },
      async inject(ctx) {
        await ctx.journal.record({ id: spec.target.id }, `deactivate ${spec.target.id}`);
        const files = await fs.readdir(world.journalDir);
        const onDisk = await Promise.all(files.map((file) => fs.readFile(path.join(world.journalDir, file), "utf8")));
        world.journalSeenBeforeMutation.push(onDisk.some((text) => text.includes(`deactivate ${spec.target.id}`)));
        world.active.add(spec.target.id);
        ctx.markInjected(`activated ${spec.target.id}`);
        world.flags.set("healthy", false);
        setTimeout(() => world.flags.set("healthy", true), spec.params.healAfterMs);
        if (!spec.params.evidence) throw new NoEvidenceError("nothing changed");
        return { summary: `${spec.target.id} active`, effectConfirmedAt: ctx.clock.now(), observations: {} };
      },
    }),
    async revert(action) {
      if (world.failRevert) throw new Error("the lab refused");
      world.active.delete(action.id);
      world.reverted.push(action.id);
    },
    async audit() {
      return [...world.active].map((id) => ({ what: `${id} still active`, fix: "cleanup" }));
    },
  });
  const flagProbe = defineProbe({
    kind: "fake.flag",
    summary: "a flag of the fake world",
    params: z.object({ flag: z.string() }).strict(),
    create: (spec) => ({
      describe: () => `flag ${spec.flag}`,
      async sample() {
        const value = world.flags.get(spec.flag);
        return value === undefined ? { outcome: "no-data", detail: "unset" } : { outcome: value ? "ok" : "not-ok", detail: `${spec.flag}=${value}` };
      },
    }),
  });
  const setup = defineSetupAction({
    kind: "fake.jobs",
    summary: "creates a Job",
    params: z.object({ name: z.string() }).strict(),
    revertAction: z.object({ name: z.string() }).strict(),
    create: (spec) => ({
      describe: () => `Job ${spec.name}`,
      async run(ctx) {
        await ctx.journal.record({ name: spec.name }, `delete Job ${spec.name}`);
        await ctx.kube.create({ apiVersion: "batch/v1", kind: "Job", metadata: { name: spec.name, namespace: "streamforge", labels: ctx.runLabels } });
      },
    }),
    async revert(action, ctx) {
      await ctx.kube.delete({ apiVersion: "batch/v1", kind: "Job", namespace: "streamforge", name: action.name });
    },
  });
  return { faults: [fakeFault as never], probes: [flagProbe as never], expectations: [probeExpectation(flagProbe as never), stableForExpectation as never], setup: [setup as never] };
}

export const scenarioText = (spec: string) => `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata: {name: runner-test}
spec:
${spec}`;

export async function runInWorld(world: World, spec: string, extra: Partial<ScenarioRunDeps> & { seed?: number } = {}) {
  const catalog = testCatalog(world);
  const loaded = parseScenario(scenarioText(spec), "/tmp/runner-test.yaml", catalog);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join("\n"));
  world.journalDir = await temporaryDir("chaoslab-journal");
  const lab = new FakeLab();
  const ports = fakePorts(lab);
  const result = await runScenario(
    loaded,
    { catalog, lab, ports, recorders: [], clock: systemClock, journalDir: world.journalDir, log: silentLog, ...extra },
    { seed: extra.seed },
  );
  return { result, ports, catalog, journalFiles: await fs.readdir(world.journalDir) };
}

