import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cluster/images.ts";
import { RevertJournal } from "../core/journal.ts";
import { FakeLab, fakePod, fakePorts } from "../testing/fake-lab.ts";
import { temporaryDir } from "../testing/contexts.ts";
import { cleanupCommand } from "./commands/cleanup.ts";
import { planCommand } from "./commands/plan.ts";
import { runCommand } from "./commands/run.ts";
import { validateCommand } from "./commands/validate.ts";
import type { CommandIo } from "./commands/io.ts";

function captureIo(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
}

async function writeScenario(dir: string, name: string, spec: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await fs.writeFile(file, `apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: ${name}, labels: [smoke]}\nspec:\n${spec}`);
  return file;
}

const podDeleteSpec = `  seed: 5
  faults:
    - type: pod-delete
      name: kill
      target: {namespace: streamforge, selector: app=loader}
      params: {force: true}
`;

describe("chaoslab validate", () => {
  it("accepts the suite and exits 0", async () => {
    const io = captureIo();
    expect(await validateCommand([], { suiteDir: path.join(REPO_ROOT, "scenarios") }, io)).toBe(0);
    expect(io.stdout.join("\n")).toContain("loader-stuck-healed.yaml: ok");
  });

  it("exits 2 and prints file:line:column for an invalid file", async () => {
    const dir = await temporaryDir("cli");
    const file = await writeScenario(dir, "bad", "  timeout: soon\n");
    const io = captureIo();
    expect(await validateCommand([file], { suiteDir: dir }, io)).toBe(2);
    expect(io.stderr[0]).toBe(`${file}:5:12: spec.timeout: invalid duration "soon": cannot read "soon"; expected a number with a unit ms, s, m or h (e.g. 500ms, 5s, 2m, 1m30s)`);
  });
});

describe("chaoslab plan", () => {
  const connectTo = (lab: FakeLab, ports: ReturnType<typeof fakePorts>) => async () => ({ lab, ports, close: async () => undefined });

  it("prints exactly which pod would be deleted, touching nothing, and the same pod for the same seed", async () => {
    const dir = await temporaryDir("cli");
    const file = await writeScenario(dir, "kill-one", podDeleteSpec);
    const lab = new FakeLab();
    const ports = fakePorts(lab);
    ports.kube.pods = ["loader-1-a", "loader-2-b", "loader-3-c"].map((name) => fakePod(name));
    const io = captureIo();
    expect(await planCommand([file], { suiteDir: dir }, { connect: connectTo(lab, ports) }, io)).toBe(0);
    const output = io.stdout.join("\n");
    expect(output).toMatch(/fault kill \(pod-delete\): starts when the faults phase starts; would hit 1 of 3 candidate\(s\)\n {4}- pod streamforge\/loader-\d-\w \(uid uid-\d+\)/);
    expect(output).toContain("safety: ok");
    expect(ports.kube.calls).toEqual([]);
    const again = captureIo();
    await planCommand([file], { suiteDir: dir }, { connect: connectTo(lab, ports) }, again);
    expect(again.stdout).toEqual(io.stdout);
  });

  it("exits 2 on a safety violation", async () => {
    const dir = await temporaryDir("cli");
    const file = await writeScenario(dir, "not-opted-in", podDeleteSpec);
    const lab = new FakeLab();
    const ports = fakePorts(lab);
    ports.kube.pods = [fakePod("loader-1-a", { labels: { app: "loader" } })];
    const io = captureIo();
    expect(await planCommand([file], { suiteDir: dir }, { connect: connectTo(lab, ports) }, io)).toBe(2);
    expect(io.stdout.join("\n")).toContain("SAFETY VIOLATION");
  });

  it("exits 3 when a target cannot be resolved now, or the lab is unreachable; 2 before connecting when invalid", async () => {
    const dir = await temporaryDir("cli");
    const file = await writeScenario(dir, "nothing-there", podDeleteSpec);
    const lab = new FakeLab();
    const io = captureIo();
    expect(await planCommand([file], { suiteDir: dir }, { connect: connectTo(lab, fakePorts(lab)) }, io)).toBe(3);
    expect(io.stdout.join("\n")).toContain("cannot resolve now: no candidate matched the target");
    expect(await planCommand([file], { suiteDir: dir }, { connect: async () => Promise.reject(new Error("no lab description")) }, captureIo())).toBe(3);
    const bad = await writeScenario(dir, "bad", "  faults: [{type: pod-kill}]\n");
    let connected = false;
    expect(await planCommand([bad], { suiteDir: dir }, { connect: async () => ((connected = true), Promise.reject(new Error("x"))) }, captureIo())).toBe(2);
    expect(connected).toBe(false);
  });
});

describe("chaoslab run and cleanup (real fault modules on a fake lab)", () => {
  const latencySpec = `  timeout: 20s
  safety: {maxTargets: 1}
  faults:
    - type: network-latency
      name: slow
      target: {nodeIds: [2]}
      params: {latency: 100ms}
      duration: 200ms
  expect:
    - kafka.underReplicated: {max: 0, since: slow, within: 2s, pollEvery: 100ms}
`;

  it("exits 2 on a safety violation, as plan does (the scenario is invalid for this lab, not the lab broken)", async () => {
    const dir = await temporaryDir("cli");
    await writeScenario(dir, "not-opted-in", podDeleteSpec);
    const lab = new FakeLab();
    const ports = fakePorts(lab);
    ports.kube.pods = [fakePod("loader-1-a", { labels: { app: "loader" } })];
    const io = captureIo();
    const code = await runCommand([path.join(dir, "not-opted-in.yaml")], { suiteDir: dir }, {
      connect: async () => ({ lab, ports, recorders: [], close: async () => undefined }),
      journalDir: await temporaryDir("journal"),
      outDir: await temporaryDir("out"),
      allureResultsDir: await temporaryDir("allure"),
    }, io);
    expect(code).toBe(2);
    expect(ports.kube.calls).toEqual([]);
  });

  it("runs by label, writes summary.json and Allure results, exits 0", async () => {
    const dir = await temporaryDir("cli");
    await writeScenario(dir, "slow-broker", latencySpec);
    const out = await temporaryDir("out");
    const allure = await temporaryDir("allure");
    const journalDir = await temporaryDir("journal");
    const lab = new FakeLab();
    const io = captureIo();
    const code = await runCommand([], { suiteDir: dir, labels: ["smoke"] }, {
      connect: async () => ({ lab, ports: fakePorts(lab), recorders: [], close: async () => undefined }),
      journalDir,
      outDir: out,
      allureResultsDir: allure,
    }, io);
    expect(io.stdout.join("\n")).toContain("PASSED slow-broker");
    expect(code).toBe(0);
    expect(lab.calls).toEqual(["addToxic latency 2 chaoslab-" + lab.calls[0]!.split("chaoslab-")[1], `removeToxic 2 ${lab.calls[0]!.split(" ")[3]}`]);
    const summary = JSON.parse(await fs.readFile(path.join(out, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ exitCode: 0, totals: { passed: 1 }, scenarios: [{ name: "slow-broker", verdict: "passed", faults: [{ name: "slow", outcome: "confirmed", targets: ["workloads → broker 2 (127.0.0.1:31292)"] }] }] });
    expect(summary.scenarios[0].faults[0].injectedAt).toMatch(/^\d{4}-/);
    const results = (await fs.readdir(allure)).filter((name) => name.endsWith("-result.json"));
    expect(results).toHaveLength(1);
    const test = JSON.parse(await fs.readFile(path.join(allure, results[0]!), "utf8"));
    expect(test.steps.map((step: { name: string }) => step.name)).toEqual(["Setup", "Fault slow (network-latency)", "Expect kafka.underReplicated: under-replicated partitions ≤ 0 (within 2s, after slow)", "Revert", "Teardown", "Leak audit"]);
    expect(await fs.readdir(allure)).toContain("categories.json");
    expect(await fs.readdir(journalDir)).toEqual([]);
  });

  it("cleanup replays a journal left by a crashed run and reports the lab clean", async () => {
    const journalDir = await temporaryDir("journal");
    const lab = new FakeLab();
    await lab.network.addToxic([1], "chaoslab-crashed", { kind: "latency", latencyMs: 100, jitterMs: 0, direction: "downstream" });
    await lab.brokers.kill(3, "crash");
    const journal = await RevertJournal.create({ dir: journalDir, runId: "rcrash", scenario: "x", lab: { provider: "sim", stateDir: "/tmp/lab", kubeconfig: "k" }, now: 1 });
    await journal.record({ owner: "fault", type: "network-latency", element: "slow", description: "remove toxic", action: { nodeId: 1, name: "chaoslab-crashed" } }, 2);
    await journal.record({ owner: "fault", type: "kafka-broker-failure", element: "crash", description: "start broker 3", action: { nodeId: 3 } }, 3);
    const contents = JSON.parse(await fs.readFile(journal.file, "utf8"));
    await fs.writeFile(journal.file, JSON.stringify({ ...contents, pid: 2 ** 22 + 4242 }));

    const io = captureIo();
    const ports = fakePorts(lab);
    const code = await cleanupCommand({}, { journalDir, connect: async () => ({ lab, kube: ports.kube, kafka: ports.kafka, close: async () => undefined }) }, io);
    expect(io.stdout).toContain("  reverted: start broker 3");
    expect(io.stdout).toContain("  reverted: remove toxic");
    expect(io.stdout.at(-1)).toBe("clean");
    expect(code).toBe(0);
    expect(lab.toxics).toEqual([]);
    expect(lab.stopped.size).toBe(0);
    expect(await fs.readdir(journalDir)).toEqual([]);
  });

  it("cleanup without journals still audits the lab and exits 3 on leaks", async () => {
    const lab = new FakeLab();
    await lab.brokers.kill(2, "crash");
    const io = captureIo();
    const ports = fakePorts(lab);
    expect(await cleanupCommand({}, { journalDir: await temporaryDir("journal"), connect: async () => ({ lab, kube: ports.kube, close: async () => undefined }) }, io)).toBe(3);
    expect(io.stdout[0]).toContain("leak: broker 2 is down");
  });
});

describe("bin/chaoslab.mjs", () => {
  // The five kinds of invalid input of scenario/loader.test.ts, through the real process: validate and
  // run both exit 2 before touching any lab, and name file:line:column.
  it("exits 2 on each of the five kinds of invalid input, with file:line:column, for validate and run", async () => {
    const dir = await temporaryDir("cli-invalid");
    const cases: { name: string; spec: string; where: RegExp }[] = [
      { name: "yaml-syntax", spec: "  timeout: 1m\n  safety: {maxTargets: 2\n", where: /yaml-syntax\.yaml:\d+:\d+: YAML syntax: / },
      { name: "unknown-key", spec: "  timeout: 1m\n  timeoutt: 2m\n", where: /unknown-key\.yaml:6:3: spec: unknown key "timeoutt"/ },
      { name: "wrong-type", spec: "  safety: {maxTargets: two}\n", where: /wrong-type\.yaml:5:24: spec\.safety\.maxTargets: expected number/ },
      { name: "unknown-fault", spec: "  faults: [{type: pod-kill}]\n", where: /unknown-fault\.yaml:5:19: spec\.faults\.0\.type: unknown fault type "pod-kill"/ },
      { name: "bad-duration", spec: "  timeout: soon\n", where: /bad-duration\.yaml:5:12: spec\.timeout: invalid duration "soon"/ },
    ];
    const files = await Promise.all(cases.map((entry) => writeScenario(dir, entry.name, entry.spec)));
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(REPO_ROOT, "bin", "chaoslab.mjs"), ...args], { env: { ...process.env, CHAOSLAB_LAB: path.join(dir, "no-lab.json") } }).then(
        () => ({ code: 0, stderr: "" }),
        (failure: { code: number; stderr: string }) => failure,
      );
    const validate = await cli("validate", ...files);
    expect(validate.code).toBe(2);
    for (const [index, entry] of cases.entries()) {
      expect(validate.stderr, entry.name).toMatch(entry.where);
      const run = await cli("run", files[index]!);
      expect(run, entry.name).toMatchObject({ code: 2 });
      expect(run.stderr, entry.name).toMatch(entry.where);
      expect(run.stderr).toContain("nothing was run");
    }
  }, 60_000);

  it("runs the CLI through tsx and exits 2 with file:line:column on an invalid scenario", async () => {
    const dir = await temporaryDir("cli");
    const file = await writeScenario(dir, "bad", "  faults: [{type: pod-kill}]\n");
    const error = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, "bin", "chaoslab.mjs"), "validate", file]).catch((failure: { code: number; stderr: string }) => failure);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain(`${file}:5:19: spec.faults.0.type: unknown fault type "pod-kill"`);
  });
});
