/**
 * The drawing vocabulary of the timeline SVG: colours, lane geometry, escaping and truncation, marks
 * (circle, diamond, arrows, cross, square), and the two lane kinds (points with labels, segments with
 * labels) that every lane of the timeline is made of.
 */
import type { PhaseName } from "../results/timeline.ts";

export const COLORS = {
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

export const PHASE_COLORS: Record<PhaseName, string> = {
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
export const ROLLOUT_PHASE_COLORS: Record<string, string> = {
  Healthy: "#bbf7d0",
  Progressing: "#bfdbfe",
  Paused: "#fef08a",
  Degraded: "#fecaca",
};

export const LABEL_WIDTH = 210;
export const RIGHT_MARGIN = 20;
export const HEADER_HEIGHT = 54;
export const LANE_HEIGHT = 22;
export const LABELLED_LANE_HEIGHT = 44;
export const CHAR_WIDTH = 6.1; // 10px sans-serif, average: enough to keep labels from overlapping.

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[char]!);
}

export const round = (value: number) => Math.round(value * 10) / 10;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keeps both ends: probe names differ at the start (`expect[2]`) and the end (`(before)`/`(after)`). */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

export function shortUid(uid: string | undefined): string {
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

export function tickStep(durationMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((seconds) => seconds * 1000);
  return steps.find((step) => durationMs / step <= 12) ?? 3600_000;
}

export function brief(value: unknown, max = 160): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return truncate(text ?? "", max);
}

export interface Lane {
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

export function mark(shape: "circle" | "diamond" | "down" | "up" | "cross" | "square", x: number, y: number, color: string, title: string, size = 5): string {
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

export function text(x: number, y: number, content: string, attributes = ""): string {
  return `<text x="${round(x)}" y="${round(y)}"${attributes ? ` ${attributes}` : ""}>${escapeXml(content)}</text>`;
}

export interface Labelled {
  at: number;
  shape: Parameters<typeof mark>[0];
  color: string;
  title: string;
  label?: string;
}

/** A lane of point marks, each optionally labelled below it. */
export function pointLane(label: string, points: Labelled[], maxX: number): Lane {
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

export interface Segment {
  from: number;
  to: number;
  fill: string;
  label: string;
  title: string;
}

export function segmentLane(label: string, segments: Segment[], extra: Labelled[] = [], maxX: number, title?: string): Lane {
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
