/**
 * The manifests against each other and against the code they run: names, args, env and probe paths
 * that must agree. The Argo condition check is an approximation (the conditions here are written in the
 * subset where expr and JavaScript agree); the real evaluation is the lab's rollback/promotion scenarios.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { CANARY_STATS_URL_ANNOTATION } from "../canary-stats-aggregator.ts";
import type { CanaryStats } from "../pod-stats.ts";
import { readQueueManagerConfig } from "../queue-manager-config.ts";
import { startQueueManager } from "../queue-manager-server.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Loose on purpose: the manifests are data; the assertions below say which shape they must have.
type Manifest = any;

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(path.join(HERE, file), "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    return document.toJS();
  });
}

function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata?.name === name);
  if (!found) throw new Error(`expected ${kind}/${name} in the manifests, found ${manifests.map((m) => `${m.kind}/${m.metadata?.name}`).join(", ")}`);
  return found;
}

const all = ["rollout.yaml", "services.yaml", "analysis-template.yaml", "canary-stats-aggregator.yaml"].flatMap(load);
const rollout = find(all, "Rollout", "queue-manager");
const template = find(all, "AnalysisTemplate", "queue-manager-canary-error-rate");
const steps: Manifest[] = rollout.spec.strategy.canary.steps;
const container = rollout.spec.template.spec.containers[0];
const metric = template.spec.metrics[0];

/** Argo's `{{args.name}}` substitution (utils/analysis ResolveMetricArgs), with the template's defaults. */
function resolveArgs(text: string, given: Record<string, string>): string {
  const values: Record<string, string> = {};
  for (const arg of template.spec.args) if (arg.value !== undefined) values[arg.name] = arg.value;
  Object.assign(values, given);
  return text.replace(/\{\{\s*args\.([\w-]+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`arg ${name} has no value`);
    return value;
  });
}

/** utils/evaluate EvaluateResult: both conditions set, neither true -> Inconclusive. */
function evaluate(result: CanaryStats): "Successful" | "Failed" | "Inconclusive" {
  const condition = (expression: string) => new Function("result", `return (${resolveArgs(expression, {})});`)(result) as boolean;
  const failed = condition(metric.failureCondition);
  const succeeded = condition(metric.successCondition);
  if (failed) return "Failed";
  if (!succeeded) return "Inconclusive";
  return "Successful";
}

function canaryStats(requests: number, errors: number, pods = 1): CanaryStats {
  return {
    podTemplateHash: "6f4d8b7c9",
    pods,
    requests,
    errors,
    errorRate: requests === 0 ? null : errors / requests,
    versions: ["v2"],
    perPod: [],
  };
}

describe("Rollout queue-manager", () => {
  it("is a basic canary of 10 replicas: setWeight 10 -> analysis -> setWeight 50 -> timed pause -> 100", () => {
    expect(rollout.apiVersion).toBe("argoproj.io/v1alpha1");
    expect(rollout.spec.replicas).toBe(10);
    expect(rollout.spec.strategy.canary.trafficRouting).toBeUndefined();
    expect(steps.map((step) => Object.keys(step)[0])).toEqual(["setWeight", "analysis", "setWeight", "pause", "setWeight"]);
    expect([steps[0].setWeight, steps[2].setWeight, steps[4].setWeight]).toEqual([10, 50, 100]);
    expect(steps[3].pause.duration).toMatch(/^\d+[smh]$/);
  });

  it("passes the canary's own hash and a per-provider URL to the analysis", () => {
    const analysis = steps[1].analysis;
    expect(analysis.templates).toEqual([{ templateName: template.metadata.name }]);
    const args = Object.fromEntries(analysis.args.map((arg: Manifest) => [arg.name, arg.valueFrom]));
    expect(args["canary-hash"]).toEqual({ podTemplateHashValue: "Latest" });
    const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(args["stats-url"].fieldRef.fieldPath)?.[1];
    expect(annotation).toBe(CANARY_STATS_URL_ANNOTATION);
    expect(rollout.metadata.annotations[CANARY_STATS_URL_ANNOTATION]).toMatch(/^https?:\/\//);
    const required = template.spec.args.filter((arg: Manifest) => arg.value === undefined).map((arg: Manifest) => arg.name);
    expect(Object.keys(args).sort()).toEqual(required.sort());
  });

  it("names Services that exist and select the Rollout's pods", () => {
    const podLabels = rollout.spec.template.metadata.labels;
    for (const name of ["queue-manager", rollout.spec.strategy.canary.canaryService, rollout.spec.strategy.canary.stableService]) {
      const service = find(all, "Service", name);
      expect(service.spec.selector).toEqual(rollout.spec.selector.matchLabels);
      for (const [key, value] of Object.entries(service.spec.selector)) expect(podLabels[key]).toBe(value);
      expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    }
  });

  it("gives the process the env its config reads, with LISTEN_HOST from the pod IP", () => {
    const env = Object.fromEntries(container.env.map((entry: Manifest) => [entry.name, entry]));
    expect(env.LISTEN_HOST.valueFrom.fieldRef.fieldPath).toBe("status.podIP");
    expect(env.PORT.value).toBe(String(container.ports[0].containerPort));
    expect(env.POD_TEMPLATE_HASH.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['rollouts-pod-template-hash']");
    // Revision N must be healthy: no ERROR_RATE and not a -bad tag.
    expect(env.ERROR_RATE).toBeUndefined();
    expect(container.image).toMatch(/^chaoslab\/queue-manager:(?!.*-bad$)/);
  });

  describe("probes hit routes the service answers", () => {
    const started = startQueueManager(readQueueManagerConfig({ LISTEN_HOST: "127.0.0.1", PORT: "0" }), { logger: pino({ level: "silent" }) });
    afterAll(async () => (await started).shutdown());

    for (const probe of ["readinessProbe", "livenessProbe"]) {
      it(probe, async () => {
        const { url } = await started;
        expect(container[probe].httpGet.port).toBe("http");
        expect((await fetch(`${url}${container[probe].httpGet.path}`)).status).toBe(200);
      });
    }
  });
});

describe("AnalysisTemplate queue-manager-canary-error-rate", () => {
  it("has a warm-up, a short interval, a count, failureLimit 0-1 and explicit error handling", () => {
    expect(metric.initialDelay).toMatch(/^\d+s$/);
    expect(Number.parseInt(metric.interval, 10)).toBeLessThanOrEqual(10);
    expect(metric.count).toBeGreaterThanOrEqual(1);
    expect([0, 1]).toContain(metric.failureLimit);
    expect(metric.consecutiveErrorLimit).toBeGreaterThanOrEqual(0);
    expect(metric.provider.web.jsonPath).toBe("{$}");
    expect(metric.provider.web.url).toBe("{{args.stats-url}}/canary-stats/{{args.canary-hash}}");
  });

  it("fails a bad canary, passes a good one, and never passes without data", () => {
    expect(evaluate(canaryStats(60, 30))).toBe("Failed");
    expect(evaluate(canaryStats(60, 0))).toBe("Successful");
    expect(evaluate(canaryStats(60, 3))).toBe("Successful");
    expect(evaluate(canaryStats(60, 4))).toBe("Failed");
    expect(evaluate(canaryStats(0, 0, 0))).toBe("Inconclusive");
    expect(evaluate(canaryStats(0, 0, 1))).toBe("Inconclusive");
    expect(evaluate(canaryStats(5, 5))).toBe("Inconclusive");
  });

  it("would not catch the bad canary if stable pods were mixed in (why it measures canary pods only)", () => {
    // One bad pod at 50% errors among nine clean pods: 5% overall, exactly the threshold.
    expect(evaluate(canaryStats(600, 30, 10))).toBe("Successful");
  });
});

describe("canary-stats aggregator (in-cluster)", () => {
  it("is the default target of the Rollout's stats-url and never joins the Rollout's Services", () => {
    const service = find(all, "Service", "queue-manager-metrics");
    const deployment = find(all, "Deployment", "queue-manager-metrics");
    const url = new URL(rollout.metadata.annotations[CANARY_STATS_URL_ANNOTATION]);
    expect(url.hostname.split(".").slice(0, 2)).toEqual([service.metadata.name, service.metadata.namespace]);
    expect(Number(url.port)).toBe(service.spec.ports[0].port);
    expect(deployment.spec.template.metadata.labels.app).not.toBe(rollout.spec.selector.matchLabels.app);
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((entry: Manifest) => [entry.name, entry]));
    expect(env.QUEUE_MANAGER_ROLE.value).toBe("canary-stats-aggregator");
    expect(env.TARGET_SELECTOR.value).toBe("app=queue-manager");
  });
});
