/**
 * The lanes of the timeline SVG, one builder per kind of entry: phases, each fault's window and
 * milestones, each probe's samples, Argo Rollout phases with their Events, other Kubernetes Events,
 * object changes (UID changes labelled old → new), healer decisions and notes.
 */
import type { TimelineEntry } from "../results/timeline.ts";
import { brief, COLORS, PHASE_COLORS, pointLane, round, ROLLOUT_PHASE_COLORS, segmentLane, shortUid, truncate, truncateMiddle, escapeXml, type Labelled, type Lane, type Segment } from "./marks.ts";

/** Where an instant lands on the plot, and how it reads as an offset from the timeline's origin. */
/** What the engine writes (`Timeline.toJSON()`) or a plain list of entries. */
export type TimelineInput = { startedAt?: number; entries: readonly TimelineEntry[] } | readonly TimelineEntry[];

export interface Scale {
  x(at: number): number;
  offset(at: number): string;
  end: number;
  plotX1: number;
}

export function entriesOf(input: TimelineInput): { entries: TimelineEntry[]; startedAt?: number } {
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

function phaseLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  const { offset, end, plotX1 } = scale;
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
  return lanes;
}

function faultLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  const { offset, end, plotX1 } = scale;
  const lanes: Lane[] = [];
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
  return lanes;
}

function probeLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  const { x, offset } = scale;
  const lanes: Lane[] = [];
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
  return lanes;
}

function rolloutAndEventLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  const { offset, end, plotX1 } = scale;
  const lanes: Lane[] = [];
  // Rollouts: the phase Argo reports, read off the rollout probe's samples, plus the Rollout's Events.
  const k8sEvents = entries.filter((entry): entry is Extract<TimelineEntry, { kind: "k8s-event" }> => entry.kind === "k8s-event");
  const eventPoint = (event: (typeof k8sEvents)[number]): Labelled => ({
    at: event.at,
    shape: "circle",
    color: event.type === "Warning" ? COLORS.warning : COLORS.event,
    title: `${offset(event.at)} ${event.type} ${event.reason} ${event.involvedObject.kind}/${event.involvedObject.name}: ${event.message}`,
    label: truncate(`${event.reason} ${event.involvedObject.name}`, 40),
  });
  const samples = entries.filter((entry): entry is ProbeEntry => entry.kind === "probe");
  const rollouts = rolloutSegments(samples, end);
  for (const [name, segments] of rollouts) {
    const events = k8sEvents.filter((event) => event.involvedObject.kind === "Rollout" && event.involvedObject.name === name);
    lanes.push(segmentLane(truncate(`Rollout ${name}`, 32), segments, events.map(eventPoint), plotX1));
  }
  const otherEvents = k8sEvents.filter((event) => !(event.involvedObject.kind === "Rollout" && rollouts.has(event.involvedObject.name)));
  if (otherEvents.length > 0) lanes.push(pointLane("Kubernetes events", otherEvents.map(eventPoint), plotX1));
  return lanes;
}

type EntryOfKind<K extends TimelineEntry["kind"]> = Extract<TimelineEntry, { kind: K }>;

/** One lane of points for every entry of a kind, or no lane when there is none. */
function pointLaneOf<K extends TimelineEntry["kind"]>(entries: readonly TimelineEntry[], kind: K, label: string, scale: Scale, toPoint: (entry: EntryOfKind<K>) => Labelled): Lane[] {
  const own = entries.filter((entry): entry is EntryOfKind<K> => entry.kind === kind);
  return own.length > 0 ? [pointLane(label, own.map(toPoint), scale.plotX1)] : [];
}

/** Object changes: UID changes are what a replacement looks like; adds and deletes around them. */
function objectLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  return pointLaneOf(entries, "object", "object changes", scale, (change) => {
    const what = `${change.objectKind} ${change.namespace}/${change.name}`;
    const tip = `${scale.offset(change.at)} ${what} ${change.change} (uid ${change.uid}${change.previousUid ? `, was ${change.previousUid}` : ""})${change.detail ? `: ${change.detail}` : ""}`;
    if (change.change === "uid-changed") return { at: change.at, shape: "square", color: COLORS.uid, title: tip, label: `${change.name}: uid ${shortUid(change.previousUid)} → ${shortUid(change.uid)}` };
    if (change.change === "deleted") return { at: change.at, shape: "cross", color: COLORS.object, title: tip, label: `${change.name} deleted` };
    if (change.change === "added") return { at: change.at, shape: "up", color: COLORS.object, title: tip, label: `${change.name} added` };
    return { at: change.at, shape: "circle", color: COLORS.noData, title: tip };
  });
}

function healerLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  return pointLaneOf(entries, "healer", "healer decisions", scale, (decision) => {
    const reason = decision.reason ? `: ${decision.reason}` : "";
    const replacement = decision.replacementJobName ? ` → ${decision.replacementJobName}` : "";
    const silence = decision.observedSilenceMs !== undefined ? `; silent ${decision.observedSilenceMs} ms` : "";
    const tip = `${scale.offset(decision.at)} healer ${decision.action} Job ${decision.jobName} (task ${decision.taskId})${reason}${replacement}${silence} [${decision.source}]`;
    if (decision.action === "replaced") return { at: decision.at, shape: "diamond", color: COLORS.healer, title: tip, label: `replaced ${decision.jobName} → ${decision.replacementJobName ?? "?"}` };
    if (decision.action === "detected") return { at: decision.at, shape: "circle", color: COLORS.warning, title: tip, label: `detected ${decision.jobName}` };
    return { at: decision.at, shape: "square", color: COLORS.noData, title: tip, label: `suppressed ${decision.jobName}` };
  });
}

function noteLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  return pointLaneOf(entries, "note", "notes", scale, (note) => ({
    at: note.at,
    shape: "circle",
    color: note.level === "warning" ? COLORS.warning : COLORS.muted,
    title: `${scale.offset(note.at)} ${note.level}: ${note.message}`,
    label: note.level === "warning" ? truncate(note.message, 48) : undefined,
  }));
}

/** Every lane, top to bottom. */
export function buildLanes(entries: readonly TimelineEntry[], scale: Scale): Lane[] {
  return [phaseLanes, faultLanes, probeLanes, rolloutAndEventLanes, objectLanes, healerLanes, noteLanes].flatMap((build) => build(entries, scale));
}
