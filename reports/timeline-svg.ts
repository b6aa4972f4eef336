/**
 * A scenario's timeline as one self-contained SVG (the report's "timeline" attachment): a time axis
 * from the first entry, then one lane per thing that happened in parallel — phases, each fault's window
 * (also shaded across every lane, so cause and effect line up vertically), each probe's samples,
 * Argo Rollout phases, Kubernetes Events, object changes (UID changes labelled old → new), healer
 * decisions and the run's notes. Every mark carries a <title> (a tooltip when the SVG is opened by
 * itself); the labels that matter are drawn as text, because Allure shows the SVG as an image.
 *
 * Pure: same entries, same SVG (no clock, no randomness), so it is unit-tested on its text.
 */
import type { PhaseName, TimelineEntry } from "../harness/engine/timeline.ts";

export interface TimelineSvgOptions {
  /** Shown above the axis, e.g. the scenario's name and verdict. */
  title?: string;
  /** Total width in pixels (default 1200). */
  width?: number;
}

/** What the engine writes (`Timeline.toJSON()`) or a plain list of entries. */
export type TimelineInput = { startedAt?: number; entries: readonly TimelineEntry[] } | readonly TimelineEntry[];

const COLORS = {
  ok: "#16a34a",
  notOk: "#dc2626",
  noData: "#9ca3af",
  fault: "#dc2626",
  faultBand: "#fee2e2",
  event: "#2563eb",
  warning: "#ea580c",
  object: "#64748b",
  uid: "#7c3aed",
  healer: "#0891b2",
  text: "#1f2937",
  muted: "#6b7280",
  grid: "#e5e7eb",
};

const PHASE_COLORS: Record<PhaseName, string> = {
  setup: "#e0e7ff",
  steadyState: "#dcfce7",
  faults: "#fee2e2",
  expect: "#fef9c3",
  revert: "#ffedd5",
  steadyStateAfter: "#dcfce7",
  leakAudit: "#f3e8ff",
  teardown: "#e5e7eb",
};

/** Argo's phases (rollout-phase.ts): healthy green, moving blue, waiting yellow, bad red. */
const ROLLOUT_PHASE_COLORS: Record<string, string> = {
  Healthy: "#bbf7d0",
  Progressing: "#bfdbfe",
  Paused: "#fef08a",
  Degraded: "#fecaca",
};

const LABEL_WIDTH = 210;
const RIGHT_MARGIN = 20;
const HEADER_HEIGHT = 54;
const LANE_HEIGHT = 22;
const LABELLED_LANE_HEIGHT = 44;
const CHAR_WIDTH = 6.1; // 10px sans-serif, average: enough to keep labels from overlapping.

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[char]!);
}

const round = (value: number) => Math.round(value * 10) / 10;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keeps both ends: probe names differ at the start (`expect[2]`) and the end (`(before)`/`(after)`). */
function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

function shortUid(uid: string | undefined): string {
  return uid ? uid.slice(0, 8) : "?";
}

/** `+45s`, `+1m30s`, `+12m`: offsets from the first entry, as people read them on the axis. */
export function formatOffset(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes === 0) return `+${seconds}s`;
  return seconds === 0 ? `+${minutes}m` : `+${minutes}m${seconds}s`;
}

function tickStep(durationMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((seconds) => seconds * 1000);
  return steps.find((step) => durationMs / step <= 12) ?? 3600_000;
}

function brief(value: unknown, max = 160): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return truncate(text ?? "", max);
}

interface Lane {
  label: string;
  /** Full name for the tooltip when the label is truncated. */
  title?: string;
  labelled: boolean;
  draw(y: number, height: number, x: (at: number) => number): string[];
}

/** Places text labels in two rows of a lane, skipping one that would overlap (its mark keeps a tooltip). */
class LabelRows {
  private readonly ends = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];

  constructor(private readonly maxX: number) {}

  place(x: number, text: string): number | undefined {
    const width = text.length * CHAR_WIDTH;
    const start = Math.min(x + 4, this.maxX - width);
    const row = this.ends.findIndex((end) => start > end + 6);
    if (row === -1) return undefined;
    this.ends[row] = start + width;
    return row;
  }
}

function mark(shape: "circle" | "diamond" | "down" | "up" | "cross" | "square", x: number, y: number, color: string, title: string, size = 5): string {
  const tip = `<title>${escapeXml(title)}</title>`;
  const r = size;
  switch (shape) {
    case "circle":
      return `<circle cx="${round(x)}" cy="${round(y)}" r="${r - 1}" fill="${color}">${tip}</circle>`;
    case "square":
      return `<rect x="${round(x - r + 1)}" y="${round(y - r + 1)}" width="${2 * r - 2}" height="${2 * r - 2}" fill="${color}">${tip}</rect>`;
    case "diamond":
      return `<path d="M${round(x)} ${round(y - r)}L${round(x + r)} ${round(y)}L${round(x)} ${round(y + r)}L${round(x - r)} ${round(y)}Z" fill="${color}">${tip}</path>`;
    case "down":
      return `<path d="M${round(x - r)} ${round(y - r)}L${round(x + r)} ${round(y - r)}L${round(x)} ${round(y + r)}Z" fill="${color}">${tip}</path>`;
    case "up":
      return `<path d="M${round(x - r)} ${round(y + r)}L${round(x + r)} ${round(y + r)}L${round(x)} ${round(y - r)}Z" fill="${color}">${tip}</path>`;
    case "cross":
      return `<path d="M${round(x - r)} ${round(y - r)}L${round(x + r)} ${round(y + r)}M${round(x + r)} ${round(y - r)}L${round(x - r)} ${round(y + r)}" stroke="${color}" stroke-width="2.5">${tip}</path>`;
  }
}

function text(x: number, y: number, content: string, attributes = ""): string {
  return `<text x="${round(x)}" y="${round(y)}"${attributes ? ` ${attributes}` : ""}>${escapeXml(content)}</text>`;
}

interface Labelled {
  at: number;
  shape: Parameters<typeof mark>[0];
  color: string;
  title: string;
  label?: string;
}

/** A lane of point marks, each optionally labelled below it. */
function pointLane(label: string, points: Labelled[], maxX: number): Lane {
  return {
    label,
    labelled: points.some((point) => point.label),
    draw(y, height, x) {
      const rows = new LabelRows(maxX);
      const markY = y + (height > LANE_HEIGHT ? 11 : height / 2);
      const out: string[] = [];
      for (const point of points) {
        out.push(mark(point.shape, x(point.at), markY, point.color, point.title));
        if (!point.label) continue;
        const row = rows.place(x(point.at), point.label);
        if (row !== undefined) out.push(text(Math.min(x(point.at) + 4, maxX - point.label.length * CHAR_WIDTH), y + 27 + row * 12, point.label, `class="small" fill="${point.color}"`));
      }
      return out;
    },
  };
}

interface Segment {
  from: number;
  to: number;
  fill: string;
  label: string;
  title: string;
}

function segmentLane(label: string, segments: Segment[], extra: Labelled[] = [], maxX: number, title?: string): Lane {
  return {
    label,
    title,
    labelled: extra.some((point) => point.label),
    draw(y, height, x) {
      const bandHeight = Math.min(LANE_HEIGHT - 6, height - 6);
      const out: string[] = [];
      for (const segment of segments) {
        const x0 = x(segment.from);
        const width = Math.max(2, x(segment.to) - x0);
        out.push(`<rect x="${round(x0)}" y="${y + 3}" width="${round(width)}" height="${bandHeight}" fill="${segment.fill}" stroke="#ffffff" stroke-width="0.5"><title>${escapeXml(segment.title)}</title></rect>`);
        if (segment.label && segment.label.length * CHAR_WIDTH < width - 6) out.push(text(x0 + 3, y + 3 + bandHeight / 2 + 3.5, segment.label, `class="small" fill="${COLORS.text}"`));
      }
      const rows = new LabelRows(maxX);
      for (const point of extra) {
        out.push(mark(point.shape, x(point.at), y + 3 + bandHeight / 2, point.color, point.title));
        if (!point.label) continue;
        const row = rows.place(x(point.at), point.label);
        if (row !== undefined) out.push(text(Math.min(x(point.at) + 4, maxX - point.label.length * CHAR_WIDTH), y + 27 + row * 12, point.label, `class="small" fill="${point.color}"`));
      }
      return out;
    },
  };
}

function entriesOf(input: TimelineInput): { entries: TimelineEntry[]; startedAt?: number } {
  if (Array.isArray(input)) return { entries: [...(input as readonly TimelineEntry[])] };
  const { entries, startedAt } = input as { startedAt?: number; entries: readonly TimelineEntry[] };
  return { entries: [...entries], startedAt };
}

type FaultEntry = Extract<TimelineEntry, { kind: "fault" }>;
type ProbeEntry = Extract<TimelineEntry, { kind: "probe" }>;

export interface FaultWindow {
  fault: string;
  type: string;
  from: number;
  /** Reverted, or the end of the timeline when the revert was never seen (drawn open-ended). */
  to: number;
  reverted: boolean;
}

/** Each fault's window: from `injected` to `reverted` (or the timeline's end when never reverted). */
export function faultWindows(entries: readonly TimelineEntry[], end: number): FaultWindow[] {
  const windows: FaultWindow[] = [];
  const open = new Map<string, FaultWindow>();
  for (const entry of entries) {
    if (entry.kind !== "fault") continue;
    if (entry.event === "injected") {
      const window = { fault: entry.fault, type: entry.type, from: entry.at, to: end, reverted: false };
      open.set(entry.fault, window);
      windows.push(window);
    } else if (entry.event === "reverted" || entry.event === "revert-failed") {
      const window = open.get(entry.fault);
      if (window && entry.event === "reverted") {
        window.to = entry.at;
        window.reverted = true;
        open.delete(entry.fault);
      }
    }
  }
  return windows;
}

/** A Rollout phase read off a probe sample's value: the `rollout` probe's summary or judgement. */
export function rolloutPhaseOf(value: unknown): { name: string; phase: string; message?: string } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const summary = (typeof record.rollout === "object" && record.rollout !== null ? record.rollout : record) as Record<string, unknown>;
  if (typeof summary.phase !== "string" || typeof summary.name !== "string" || !("stableHash" in summary || "currentHash" in summary)) return undefined;
  return { name: summary.name, phase: summary.phase, message: typeof summary.message === "string" && summary.message ? summary.message : undefined };
}

function rolloutSegments(samples: ProbeEntry[], end: number): Map<string, Segment[]> {
  const byRollout = new Map<string, Segment[]>();
  for (const sample of samples) {
    const read = rolloutPhaseOf(sample.value);
    if (!read) continue;
    const segments = byRollout.get(read.name) ?? [];
    byRollout.set(read.name, segments);
    const last = segments.at(-1);
    if (last && last.label === read.phase) {
      last.to = sample.at;
      continue;
    }
    if (last) last.to = sample.at;
    segments.push({ from: sample.at, to: sample.at, fill: ROLLOUT_PHASE_COLORS[read.phase] ?? "#e5e7eb", label: read.phase, title: `Rollout ${read.name}: ${read.phase}${read.message ? ` (${read.message})` : ""}` });
  }
  // The last phase seen holds until the next sample would have come; show it to the end of the run.
  for (const segments of byRollout.values()) {
    const last = segments.at(-1);
    if (last && last.to === last.from) last.to = Math.max(last.from, end);
  }
  return byRollout;
}

export function renderTimelineSvg(input: TimelineInput, options: TimelineSvgOptions = {}): string {
  const width = options.width ?? 1200;
  const { entries: unsorted, startedAt } = entriesOf(input);
  const entries = unsorted.sort((a, b) => a.at - b.at);
  const plotX0 = LABEL_WIDTH + 10;
  const plotX1 = width - RIGHT_MARGIN;
  const title = options.title ?? "Scenario timeline";

  if (entries.length === 0) {
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="80" viewBox="0 0 ${width} 80" font-family="sans-serif">`,
      text(12, 24, title, `font-size="14" font-weight="bold" fill="${COLORS.text}"`),
      text(12, 52, "No timeline entries were recorded.", `font-size="12" fill="${COLORS.muted}"`),
      `</svg>`,
    ].join("\n");
  }

  const origin = Math.min(startedAt ?? entries[0]!.at, entries[0]!.at);
  const end = Math.max(entries.at(-1)!.at, origin + 1000);
  const duration = end - origin;
  const x = (at: number) => plotX0 + ((at - origin) / duration) * (plotX1 - plotX0);
  const offset = (at: number) => formatOffset(at - origin);

  const lanes: Lane[] = [];

  // Phases: start/end pairs (a phase without an end runs to the next phase's start or the end).
  const phaseEntries = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "phase" }> => entry.kind === "phase");
  const phaseSegments: Segment[] = [];
  for (const [index, entry] of phaseEntries.entries()) {
    if (entry.state !== "start") continue;
    const endEntry = phaseEntries.slice(index + 1).find((candidate) => candidate.phase === entry.phase && candidate.state === "end");
    const nextStart = phaseEntries.slice(index + 1).find((candidate) => candidate.state === "start");
    const to = endEntry?.at ?? nextStart?.at ?? end;
    phaseSegments.push({ from: entry.at, to, fill: PHASE_COLORS[entry.phase] ?? "#e5e7eb", label: entry.phase, title: `${entry.phase}: ${offset(entry.at)} → ${offset(to)}` });
  }
  if (phaseSegments.length > 0) lanes.push(segmentLane("phases", phaseSegments, [], plotX1));

  // Faults: one lane each, the window as a band, the milestones as marks.
  const windows = faultWindows(entries, end);
  const faultEntries = entries.filter((entry): entry is FaultEntry => entry.kind === "fault");
  const faultNames = [...new Set(faultEntries.map((entry) => entry.fault))];
  for (const name of faultNames) {
    const own = faultEntries.filter((entry) => entry.fault === name);
    const type = own[0]!.type;
    const segments = windows
      .filter((window) => window.fault === name)
      .map((window) => ({
        from: window.from,
        to: window.to,
        fill: COLORS.faultBand,
        label: window.reverted ? "" : "not reverted",
        title: `fault ${name} (${type}): injected ${offset(window.from)}, ${window.reverted ? `reverted ${offset(window.to)}` : "never seen reverted"}`,
      }));
    const points: Labelled[] = own.flatMap((entry): Labelled[] => {
      const tip = `${offset(entry.at)} fault ${name} ${entry.event}${entry.detail ? `: ${entry.detail}` : ""}`;
      switch (entry.event) {
        case "injected":
          return [{ at: entry.at, shape: "down", color: COLORS.fault, title: tip, label: "injected" }];
        case "effect-confirmed":
          return [{ at: entry.at, shape: "diamond", color: COLORS.ok, title: tip, label: `effect: ${truncate(entry.detail ?? "confirmed", 48)}` }];
        case "no-evidence":
          return [{ at: entry.at, shape: "diamond", color: COLORS.noData, title: tip, label: "no evidence" }];
        case "reverted":
          return [{ at: entry.at, shape: "up", color: COLORS.ok, title: tip, label: "reverted" }];
        case "revert-failed":
          return [{ at: entry.at, shape: "cross", color: COLORS.notOk, title: tip, label: "revert failed" }];
        default:
          return [{ at: entry.at, shape: "circle", color: COLORS.muted, title: tip }];
      }
    });
    lanes.push(segmentLane(truncate(`fault ${name}`, 32), segments, points, plotX1, `fault ${name} (${type})`));
  }

  // Probes: one lane per probe, a tick per sample coloured by outcome.
  const samples = entries.filter((entry): entry is ProbeEntry => entry.kind === "probe");
  const probeNames = [...new Set(samples.map((sample) => sample.probe))];
  for (const name of probeNames) {
    const own = samples.filter((sample) => sample.probe === name);
    lanes.push({
      label: truncateMiddle(name, 33),
      title: name,
      labelled: false,
      draw(y, height) {
        return own.map((sample) => {
          const color = sample.outcome === "ok" ? COLORS.ok : sample.outcome === "not-ok" ? COLORS.notOk : COLORS.noData;
          const tip = `${offset(sample.at)} ${name}: ${sample.outcome}${sample.detail ? ` — ${sample.detail}` : ""}${sample.value !== undefined && rolloutPhaseOf(sample.value) === undefined ? ` (value ${brief(sample.value)})` : ""}`;
          return `<rect x="${round(x(sample.at) - 1.5)}" y="${y + 4}" width="3" height="${height - 8}" fill="${color}"><title>${escapeXml(tip)}</title></rect>`;
        });
      },
    });
  }

  // Rollouts: the phase Argo reports, read off the rollout probe's samples, plus the Rollout's Events.
  const k8sEvents = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "k8s-event" }> => entry.kind === "k8s-event");
  const eventPoint = (event: (typeof k8sEvents)[number]): Labelled => ({
    at: event.at,
    shape: "circle",
    color: event.type === "Warning" ? COLORS.warning : COLORS.event,
    title: `${offset(event.at)} ${event.type} ${event.reason} ${event.involvedObject.kind}/${event.involvedObject.name}: ${event.message}`,
    label: truncate(`${event.reason} ${event.involvedObject.name}`, 40),
  });
  const rollouts = rolloutSegments(samples, end);
  for (const [name, segments] of rollouts) {
    const events = k8sEvents.filter((event) => event.involvedObject.kind === "Rollout" && event.involvedObject.name === name);
    lanes.push(segmentLane(truncate(`Rollout ${name}`, 32), segments, events.map(eventPoint), plotX1));
  }
  const otherEvents = k8sEvents.filter((event) => !(event.involvedObject.kind === "Rollout" && rollouts.has(event.involvedObject.name)));
  if (otherEvents.length > 0) lanes.push(pointLane("Kubernetes events", otherEvents.map(eventPoint), plotX1));

  // Object changes: UID changes are what a replacement looks like; adds and deletes around them.
  const objects = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "object" }> => entry.kind === "object");
  if (objects.length > 0) {
    lanes.push(
      pointLane(
        "object changes",
        objects.map((change) => {
          const what = `${change.objectKind} ${change.namespace}/${change.name}`;
          const tip = `${offset(change.at)} ${what} ${change.change} (uid ${change.uid}${change.previousUid ? `, was ${change.previousUid}` : ""})${change.detail ? `: ${change.detail}` : ""}`;
          if (change.change === "uid-changed") return { at: change.at, shape: "square" as const, color: COLORS.uid, title: tip, label: `${change.name}: uid ${shortUid(change.previousUid)} → ${shortUid(change.uid)}` };
          if (change.change === "deleted") return { at: change.at, shape: "cross" as const, color: COLORS.object, title: tip, label: `${change.name} deleted` };
          if (change.change === "added") return { at: change.at, shape: "up" as const, color: COLORS.object, title: tip, label: `${change.name} added` };
          return { at: change.at, shape: "circle" as const, color: COLORS.noData, title: tip };
        }),
        plotX1,
      ),
    );
  }

  const healer = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "healer" }> => entry.kind === "healer");
  if (healer.length > 0) {
    lanes.push(
      pointLane(
        "healer decisions",
        healer.map((decision) => {
          const tip = `${offset(decision.at)} healer ${decision.action} Job ${decision.jobName} (task ${decision.taskId})${decision.reason ? `: ${decision.reason}` : ""}${decision.replacementJobName ? ` → ${decision.replacementJobName}` : ""}${decision.observedSilenceMs !== undefined ? `; silent ${decision.observedSilenceMs} ms` : ""} [${decision.source}]`;
          if (decision.action === "replaced") return { at: decision.at, shape: "diamond" as const, color: COLORS.healer, title: tip, label: `replaced ${decision.jobName} → ${decision.replacementJobName ?? "?"}` };
          if (decision.action === "detected") return { at: decision.at, shape: "circle" as const, color: COLORS.warning, title: tip, label: `detected ${decision.jobName}` };
          return { at: decision.at, shape: "square" as const, color: COLORS.noData, title: tip, label: `suppressed ${decision.jobName}` };
        }),
        plotX1,
      ),
    );
  }

  const notes = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "note" }> => entry.kind === "note");
  if (notes.length > 0) {
    lanes.push(
      pointLane(
        "notes",
        notes.map((note) => ({ at: note.at, shape: "circle" as const, color: note.level === "warning" ? COLORS.warning : COLORS.muted, title: `${offset(note.at)} ${note.level}: ${note.message}`, label: note.level === "warning" ? truncate(note.message, 48) : undefined })),
        plotX1,
      ),
    );
  }

  // Layout: header, axis, lanes, legend.
  const axisY = HEADER_HEIGHT;
  let y = axisY + 8;
  const laneBoxes = lanes.map((lane) => {
    const height = lane.labelled ? LABELLED_LANE_HEIGHT : LANE_HEIGHT;
    const box = { lane, y, height };
    y += height;
    return box;
  });
  const lanesBottom = y;
  const legendY = lanesBottom + 22;
  const height = legendY + 14;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<style>.small{font-size:10px}.lane{font-size:11px;fill:${COLORS.text}}.tick{font-size:10px;fill:${COLORS.muted}}</style>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(text(12, 20, title, `font-size="14" font-weight="bold" fill="${COLORS.text}"`));
  out.push(text(12, 38, `from ${new Date(origin).toISOString()} for ${formatOffset(duration).slice(1)}; ${entries.length} entries`, `class="tick"`));

  // Fault windows shaded across every lane, behind everything else.
  for (const window of windows) {
    out.push(`<rect x="${round(x(window.from))}" y="${axisY}" width="${round(Math.max(2, x(window.to) - x(window.from)))}" height="${lanesBottom - axisY}" fill="${COLORS.faultBand}" opacity="0.55"><title>${escapeXml(`fault ${window.fault} window ${offset(window.from)} → ${window.reverted ? offset(window.to) : "end (not reverted)"}`)}</title></rect>`);
  }
  // Axis and grid.
  const step = tickStep(duration);
  for (let t = 0; t <= duration; t += step) {
    const tx = x(origin + t);
    out.push(`<line x1="${round(tx)}" y1="${axisY}" x2="${round(tx)}" y2="${lanesBottom}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    const anchor = tx > plotX1 - 20 ? "end" : "middle";
    out.push(text(tx, axisY - 4, formatOffset(t), `class="tick" text-anchor="${anchor}"`));
  }
  out.push(`<line x1="${plotX0}" y1="${axisY}" x2="${plotX1}" y2="${axisY}" stroke="${COLORS.muted}" stroke-width="1"/>`);
  for (const [index, box] of laneBoxes.entries()) {
    if (index % 2 === 1) out.push(`<rect x="0" y="${box.y}" width="${LABEL_WIDTH}" height="${box.height}" fill="#f9fafb"/>`);
    out.push(`<line x1="0" y1="${box.y + box.height}" x2="${width}" y2="${box.y + box.height}" stroke="${COLORS.grid}" stroke-width="0.5"/>`);
    out.push(`<text class="lane" x="8" y="${box.y + Math.min(box.height, LANE_HEIGHT) / 2 + 4}">${escapeXml(box.lane.label)}${box.lane.title ? `<title>${escapeXml(box.lane.title)}</title>` : ""}</text>`);
    out.push(`<g class="lane-marks" data-lane="${escapeXml(box.lane.title ?? box.lane.label)}">`, ...box.lane.draw(box.y, box.height, x), `</g>`);
  }

  // Legend.
  const legend: [string, string][] = [
    [COLORS.ok, "probe ok / effect confirmed / reverted"],
    [COLORS.notOk, "probe not ok / injected"],
    [COLORS.noData, "no data"],
    [COLORS.faultBand, "fault window"],
    [COLORS.event, "Event (Normal)"],
    [COLORS.warning, "Event (Warning) / healer detected"],
    [COLORS.uid, "UID changed"],
    [COLORS.healer, "healer replaced"],
  ];
  let legendX = 12;
  for (const [color, label] of legend) {
    out.push(`<rect x="${legendX}" y="${legendY - 9}" width="10" height="10" fill="${color}"/>`);
    out.push(text(legendX + 14, legendY, label, `class="tick"`));
    legendX += 30 + label.length * 5.2;
  }
  out.push(`</svg>`);
  return out.join("\n");
}
