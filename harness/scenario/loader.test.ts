import { describe, expect, it } from "vitest";
import { formatDiagnostic, parseScenario, loadScenarioFile } from "./loader.ts";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SCENARIOS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scenarios");

const valid = `apiVersion: chaoslab.streamforge.io/v1alpha1
kind: Scenario
metadata:
  name: loader-stuck-healed
  labels: [smoke]
spec:
  timeout: 2m
  seed: 7
  safety: {allowedNamespaces: [streamforge], maxTargets: 2}
  setup:
    - loaders: {count: 3, messages: 100, rate: 50/s, profile: {stallAfter: 10s, for: [loader-1]}}
  steadyState:
    - probe: {kafka.lag: {group: arango-connector, max: 1000}}
  faults:
    - type: pod-delete
      target: {namespace: streamforge, selector: app=loader, mode: count, count: 2}
      params: {force: true, interval: 500ms, iterations: 2}
    - type: network-latency
      name: slow
      target: {nodeIds: [1]}
      params: {latency: 200ms}
      duration: 1m30s
  expect:
    - healer.replaced: {job: loader-1, within: 60s, notBefore: 20s, since: setup}
    - kafka.ledger: {lost: 0}
    - kafka.underReplicated: {max: 0, since: slow, within: 2m}
    - stableFor: {duration: 30s, kinds: [Job], except: [loader-1]}
`;

/** Replaces one line (1-based) of the valid scenario. */
function withLine(line: number, text: string): string {
  const lines = valid.split("\n");
  lines[line - 1] = text;
  return lines.join("\n");
}

function diagnosticsOf(text: string): string[] {
  const result = parseScenario(text, "s.yaml");
  if (result.ok) throw new Error("expected the scenario to be rejected");
  return result.diagnostics.map(formatDiagnostic);
}

describe("scenario loader", () => {
  it("accepts a valid scenario and parses durations into milliseconds", () => {
    const result = parseScenario(valid, "s.yaml");
    if (!result.ok) throw new Error(result.diagnostics.map(formatDiagnostic).join("\n"));
    const { spec, metadata } = result.scenario;
    expect(metadata).toEqual({ name: "loader-stuck-healed", labels: ["smoke"] });
    expect(spec.timeout).toBe(120_000);
    expect(spec.seed).toBe(7);
    expect(spec.safety).toEqual({ allowedNamespaces: ["streamforge"], maxTargets: 2, maxPercent: 100 });
    expect(spec.setup[0]).toMatchObject({ kind: "loaders", params: { count: 3, rate: 50, profile: { stallAfter: 10_000 } } });
    expect(spec.steadyState[0]).toEqual({ probe: { kind: "kafka.lag", params: { group: "arango-connector", max: 1000 } }, timeout: 30_000 });
    expect(spec.faults[0]).toMatchObject({ type: "pod-delete", name: "pod-delete-1", params: { force: true, interval: 500, iterations: 2 }, confirmWithin: 30_000 });
    expect(spec.faults[1]).toMatchObject({ type: "network-latency", name: "slow", duration: 90_000, params: { latency: 200, jitter: 0, direction: "downstream" } });
    expect(spec.expect.map((entry) => entry.kind)).toEqual(["healer.replaced", "kafka.ledger", "kafka.underReplicated", "stableFor"]);
    expect(spec.expect[0]!.params).toMatchObject({ job: "loader-1", within: 60_000, notBefore: 20_000, since: "setup" });
  });

  it("fills defaults for an almost empty spec", () => {
    const result = parseScenario("apiVersion: chaoslab.streamforge.io/v1alpha1\nkind: Scenario\nmetadata: {name: empty}\nspec: {}\n", "s.yaml");
    expect(result.ok && result.scenario.spec).toEqual({
      timeout: 300_000,
      safety: { allowedNamespaces: ["streamforge"], maxTargets: 1, maxPercent: 100 },
      setup: [],
      steadyState: [],
      faults: [],
      expect: [],
    });
  });

  describe("the five kinds of invalid input, each at file:line:column", () => {
    it("YAML syntax error", () => {
      // Line 9 loses the flow mapping's closing brace.
      const [first] = diagnosticsOf(withLine(9, "  safety: {allowedNamespaces: [streamforge], maxTargets: 2"));
      expect(first).toMatch(/^s\.yaml:10:\d+: YAML syntax: /);
    });

    it("unknown key, pointing at the key", () => {
      expect(diagnosticsOf(withLine(17, "      params: {force: true, intervall: 500ms, iterations: 2}"))).toEqual([
        's.yaml:17:29: spec.faults.0.params: unknown key "intervall" (keys are case-sensitive; see scenarios/schema.json)',
      ]);
    });

    it("wrong type, pointing at the value", () => {
      expect(diagnosticsOf(withLine(16, "      target: {namespace: streamforge, selector: app=loader, mode: count, count: two}"))).toEqual([
        "s.yaml:16:82: spec.faults.0.target.count: expected number, found string \"two\"",
      ]);
    });

    it("unknown fault type, pointing at the type's value", () => {
      expect(diagnosticsOf(withLine(15, "    - type: pod-kill"))).toEqual([
        's.yaml:15:13: spec.faults.0.type: unknown fault type "pod-kill" (known: pod-delete, network-latency, kafka-broker-failure, network-partition, kafka-outage, process-freeze, network-bandwidth, network-loss)',
      ]);
    });

    it("bad duration, pointing at the value", () => {
      expect(diagnosticsOf(withLine(22, "      duration: 90 sec"))).toEqual([
        's.yaml:22:17: spec.faults.1.duration: invalid duration "90 sec": cannot read "90 sec"; expected a number with a unit ms, s, m or h (e.g. 500ms, 5s, 2m, 1m30s)',
      ]);
    });
  });

  it("rejects a fault that lasts longer than the scenario's timeout, at the fault's duration", () => {
    expect(diagnosticsOf(withLine(22, "      duration: 3m"))).toEqual([
      "s.yaml:22:17: spec.faults.1.duration: the fault lasts 180s, longer than the scenario's timeout of 120s: it could never be reverted in time. Shorten it or raise spec.timeout",
    ]);
  });

  it("refuses a protected namespace unless safety.allowedNamespaces names it", () => {
    expect(diagnosticsOf(withLine(16, "      target: {namespace: kube-system, selector: k8s-app=kube-dns, mode: count, count: 2}"))).toEqual([
      expect.stringMatching(/^s\.yaml:16:\d+: spec\.faults\.0\.target\.namespace: kube-system is a protected namespace \(kube-system, kube-public, kube-node-lease/),
    ]);
    const allowed = withLine(9, "  safety: {allowedNamespaces: [streamforge, kube-system], maxTargets: 2}").split("\n");
    allowed[15] = "      target: {namespace: kube-system, selector: k8s-app=kube-dns, mode: count, count: 2}";
    expect(parseScenario(allowed.join("\n"), "s.yaml").ok).toBe(true);
  });

  it("reports a missing required key at the mapping that lacks it", () => {
    expect(diagnosticsOf(withLine(21, "      params: {}"))).toEqual([
      's.yaml:21:15: spec.faults.1.params.latency: required key "latency" is missing',
    ]);
  });

  it("names an unknown expectation kind and suggests the closest", () => {
    expect(diagnosticsOf(withLine(25, "    - kafka.ledgr: {lost: 0}"))).toEqual([
      expect.stringMatching(/^s\.yaml:25:7: spec\.expect\.1: unknown expectation "kafka\.ledgr"; did you mean "kafka\.ledger"\?/),
    ]);
  });

  it("rejects a since that names no phase and no fault", () => {
    expect(diagnosticsOf(withLine(26, "    - kafka.underReplicated: {max: 0, since: slower, within: 2m}"))).toEqual([
      expect.stringMatching(/^s\.yaml:26:46: spec\.expect\.2\.kafka\.underReplicated\.since: since: "slower" is neither a phase \(setup, faults\) nor a fault of this scenario \(pod-delete-1, slow\); did you mean "slow"\?/),
    ]);
  });

  it("rejects a duration without a unit with a hint", () => {
    expect(diagnosticsOf(withLine(7, "  timeout: 120"))).toEqual([
      's.yaml:7:12: spec.timeout: expected a duration string (e.g. 500ms, 5s, 2m, 1m30s), found number 120',
    ]);
    expect(diagnosticsOf(withLine(7, "  timeout: '120'"))[0]).toContain("(the unit is missing)");
  });

  it("rejects duplicate keys and a second document as YAML errors", () => {
    expect(diagnosticsOf(valid.replace("  seed: 7\n", "  seed: 7\n  seed: 8\n"))[0]).toMatch(/^s\.yaml:9:3: YAML syntax: Map keys must be unique/);
    expect(diagnosticsOf(`${valid}---\nkind: Scenario\n`)[0]).toMatch(/^s\.yaml:28:1: YAML syntax: Source contains multiple documents/);
  });

  it("rejects an empty file and a wrong apiVersion", () => {
    expect(diagnosticsOf("")).toEqual(["s.yaml:1:1: the file is empty; expected a Scenario (apiVersion, kind, metadata, spec)"]);
    expect(diagnosticsOf(valid.replace("v1alpha1", "v1"))).toEqual([
      's.yaml:1:13: apiVersion: apiVersion must be chaoslab.streamforge.io/v1alpha1, found "chaoslab.streamforge.io/v1"',
    ]);
  });

  it("reports several problems at once, in file order", () => {
    const text = withLine(22, "      duration: soon").replace("  seed: 7", "  sead: 7");
    expect(diagnosticsOf(text).map((line) => line.split(": ")[0])).toEqual(["s.yaml:8:3", "s.yaml:22:17"]);
  });

  it("rejects duplicate fault names", () => {
    // The renamed fault also breaks the `since: slow` reference further down: both are reported.
    expect(diagnosticsOf(withLine(19, "      name: pod-delete-1"))).toEqual([
      's.yaml:19:13: spec.faults.1.name: fault name "pod-delete-1" is used twice',
      expect.stringMatching(/^s\.yaml:26:46: .*since: "slow" is neither a phase/),
    ]);
  });

  it("accepts every scenario in scenarios/", async () => {
    const files = (await fs.readdir(SCENARIOS_DIR)).filter((file) => file.endsWith(".yaml"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const result = await loadScenarioFile(path.join(SCENARIOS_DIR, file));
      expect(result.ok ? [] : result.diagnostics.map(formatDiagnostic)).toEqual([]);
    }
  });
});
