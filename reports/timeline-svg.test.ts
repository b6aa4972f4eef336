import { describe, expect, it } from "vitest";
import type { TimelineEntry } from "./results/timeline.ts";
import { fixtureResults } from "./testing/report-fixtures.ts";
import { renderTimelineSvg } from "./timeline-svg.ts";
import { faultWindows, rolloutPhaseOf } from "./timeline-svg/lanes.ts";
import { escapeXml, formatOffset } from "./timeline-svg/marks.ts";

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const at = (seconds: number) => T0 + seconds * 1000;

/** Every tag closed in order and every attribute quoted: enough to know a browser will parse it as XML. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tags = svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][\w:-]*="[^"<]*")*)\s*(\/?)>/g);
  let consumed = 0;
  for (const match of tags) {
    const [, closing, name, , selfClosing] = match;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else if (!selfClosing) stack.push(name!);
    consumed += match[0].length;
  }
  expect(stack).toEqual([]);
  // Anything left that looks like a tag was not matched above: a malformed tag or unescaped `<`.
  const leftovers = svg.replace(/<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][\w:-]*="[^"<]*")*)\s*(\/?)>/g, "");
  expect(leftovers).not.toMatch(/[<>]/);
  expect(consumed).toBeGreaterThan(0);
}

/** The x of the band drawn for a fault window (the shaded rect whose tooltip names the fault). */
function bandOf(svg: string, fault: string): { x: number; width: number } {
  const match = svg.match(new RegExp(`<rect x="([\\d.]+)" y="\\d+" width="([\\d.]+)" height="\\d+" fill="#fee2e2" opacity="0.55"><title>fault ${fault} window`));
  expect(match, `band of ${fault}`).not.toBeNull();
  return { x: Number(match![1]), width: Number(match![2]) };
}

const base: TimelineEntry[] = [
  { at: at(0), kind: "phase", phase: "setup", state: "start" },
  { at: at(10), kind: "phase", phase: "setup", state: "end" },
  { at: at(10), kind: "phase", phase: "faults", state: "start" },
  { at: at(20), kind: "fault", fault: "kill", type: "pod-delete", event: "injected", detail: "deleted loader-1-abc" },
  { at: at(21), kind: "fault", fault: "kill", type: "pod-delete", event: "effect-confirmed", detail: "pod loader-1-abc gone" },
  { at: at(60), kind: "fault", fault: "kill", type: "pod-delete", event: "reverted" },
  { at: at(60), kind: "phase", phase: "faults", state: "end" },
  { at: at(100), kind: "note", level: "info", message: "done" },
];

describe("timeline SVG", () => {
  it("draws each fault's window as a band from injection to revert, on the shared time axis", () => {
    const svg = renderTimelineSvg(base, { width: 1210 });
    assertWellFormed(svg);
    // Plot from x=220 to x=1190 for 100 s: 9.7 px per second.
    const band = bandOf(svg, "kill");
    expect(band.x).toBeCloseTo(220 + 20 * 9.7, 0);
    expect(band.width).toBeCloseTo(40 * 9.7, 0);
    expect(svg).toContain("effect: pod loader-1-abc gone");
    expect(svg).toContain(">reverted</text>");
    expect(svg).toContain(">+1m</text>");
  });

  it("leaves a window open to the end when the revert was never seen, and says so", () => {
    const entries = base.filter((entry) => !(entry.kind === "fault" && entry.event === "reverted"));
    expect(faultWindows(entries, at(100))).toEqual([{ fault: "kill", type: "pod-delete", from: at(20), to: at(100), reverted: false }]);
    expect(renderTimelineSvg(entries)).toContain("end (not reverted)");
  });

  it("colours probe samples by outcome, one lane per probe, with the sample in the tooltip", () => {
    const svg = renderTimelineSvg([
      ...base,
      { at: at(30), kind: "probe", probe: "expect[0] kafka.ledger", outcome: "ok", detail: "lost 0" },
      { at: at(40), kind: "probe", probe: "expect[0] kafka.ledger", outcome: "not-ok", detail: "lost 12" },
      { at: at(50), kind: "probe", probe: "expect[1] http", outcome: "no-data", detail: "connection refused" },
    ]);
    assertWellFormed(svg);
    expect(svg.match(/fill="#16a34a"><title>\+30s expect\[0\] kafka.ledger: ok — lost 0/g)).toHaveLength(1);
    expect(svg.match(/fill="#dc2626"><title>\+40s expect\[0\] kafka.ledger: not-ok — lost 12/g)).toHaveLength(1);
    expect(svg.match(/fill="#9ca3af"><title>\+50s expect\[1\] http: no-data — connection refused/g)).toHaveLength(1);
    expect(svg.match(/data-lane="expect\[\d\] [a-z.]+"/g)).toEqual(['data-lane="expect[0] kafka.ledger"', 'data-lane="expect[1] http"']);
  });

  it("labels UID changes with both UIDs, and healer replacements with both Jobs", () => {
    const svg = renderTimelineSvg([
      ...base,
      { at: at(25), kind: "object", change: "uid-changed", objectKind: "Job", namespace: "streamforge", name: "loader-1", uid: "bbbbbbbb-2222", previousUid: "aaaaaaaa-1111" },
      { at: at(24), kind: "healer", action: "replaced", jobName: "loader-1", jobUid: "aaaaaaaa-1111", taskId: "t1", replacementJobName: "loader-1-r1", source: "queue-events", observedSilenceMs: 5200 },
    ]);
    assertWellFormed(svg);
    expect(svg).toContain("loader-1: uid aaaaaaaa → bbbbbbbb");
    expect(svg).toContain("replaced loader-1 → loader-1-r1");
    expect(svg).toContain("silent 5200 ms");
  });

  it("draws Rollout phases from the rollout probe's samples, and the Rollout's Events in the same lane", () => {
    const rollout = (phase: string) => ({ name: "queue-manager", phase, stableHash: "5b8c", currentHash: "5b8c", message: "" });
    const svg = renderTimelineSvg([
      ...base,
      { at: at(15), kind: "probe", probe: "steadyState[0] rollout (before)", outcome: "ok", value: rollout("Healthy") },
      { at: at(30), kind: "probe", probe: "steadyState[0] rollout (before)", outcome: "not-ok", value: { verdict: "failed", rollout: rollout("Degraded") } },
      { at: at(70), kind: "probe", probe: "steadyState[0] rollout (before)", outcome: "ok", value: rollout("Healthy") },
      { at: at(31), kind: "k8s-event", namespace: "streamforge", involvedObject: { kind: "Rollout", name: "queue-manager" }, reason: "RolloutDegraded", message: "degraded", type: "Warning" },
    ]);
    assertWellFormed(svg);
    expect(svg).toContain(">Rollout queue-manager<");
    expect(svg).toMatch(/fill="#fecaca" stroke="#ffffff" stroke-width="0.5"><title>Rollout queue-manager: Degraded/);
    expect(svg.match(/<title>Rollout queue-manager: Healthy/g)).toHaveLength(2);
    expect(svg).toContain("RolloutDegraded queue-manager");
    expect(svg).not.toContain(">Kubernetes events<");
    expect(rolloutPhaseOf({ phase: "Running" })).toBeUndefined();
  });

  it("escapes whatever the cluster wrote", () => {
    const svg = renderTimelineSvg([
      ...base,
      { at: at(30), kind: "k8s-event", namespace: "ns", involvedObject: { kind: "Pod", name: "p<1>" }, reason: "Bad&Worse", message: `<script>alert("x")</script>`, type: "Warning" },
    ]);
    assertWellFormed(svg);
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });

  it("says so when there is nothing to draw", () => {
    const svg = renderTimelineSvg({ startedAt: undefined, entries: [] }, { title: "empty" });
    assertWellFormed(svg);
    expect(svg).toContain("No timeline entries were recorded.");
  });

  it("is deterministic and draws every kind of entry of a realistic run", () => {
    for (const result of fixtureResults()) {
      const svg = renderTimelineSvg(result.timeline, { title: result.name });
      assertWellFormed(svg);
      expect(renderTimelineSvg(result.timeline, { title: result.name })).toBe(svg);
    }
    const [passed] = fixtureResults();
    const svg = renderTimelineSvg(passed!.timeline);
    for (const lane of ["phases", "fault kill-loader", "Kubernetes events", "object changes", "healer decisions", "notes", "expect[0] healer.actions"]) expect(svg).toContain(`data-lane="${lane}`);
  });

  it("formats offsets as people read them", () => {
    expect([0, 45_000, 60_000, 90_000, 754_000].map(formatOffset)).toEqual(["+0s", "+45s", "+1m", "+1m30s", "+12m34s"]);
  });
});
