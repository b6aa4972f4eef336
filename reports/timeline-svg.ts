/**
 * A scenario's timeline as one self-contained SVG (the report's "timeline" attachment): a time axis
 * from the first entry, then one lane per thing that happened in parallel — phases, each fault's window
 * (also shaded across every lane, so cause and effect line up vertically), each probe's samples,
 * Argo Rollout phases, Kubernetes Events, object changes (UID changes labelled old → new), healer
 * decisions and the run's notes. Every mark carries a <title> (a tooltip when the SVG is opened by
 * itself); the labels that matter are drawn as text, because Allure shows the SVG as an image.
 *
 * Pure: same entries, same SVG (no clock, no randomness), so it is unit-tested on its text. The
 * drawing vocabulary is in timeline-svg/marks.ts, the lanes in timeline-svg/lanes.ts.
 */
import type { TimelineEntry } from "./results/timeline.ts";
import { buildLanes, entriesOf, faultWindows, type FaultWindow, type Scale, type TimelineInput } from "./timeline-svg/lanes.ts";
import { COLORS, escapeXml, formatOffset, HEADER_HEIGHT, LABEL_WIDTH, LABELLED_LANE_HEIGHT, LANE_HEIGHT, RIGHT_MARGIN, round, text, tickStep, type Lane } from "./timeline-svg/marks.ts";

export interface TimelineSvgOptions {
  /** Shown above the axis, e.g. the scenario's name and verdict. */
  title?: string;
  /** Total width in pixels (default 1200). */
  width?: number;
}

export function renderTimelineSvg(input: TimelineInput, options: TimelineSvgOptions = {}): string {
  const width = options.width ?? 1200;
  const { entries: unsorted, startedAt } = entriesOf(input);
  const entries = unsorted.sort((a, b) => a.at - b.at);
  const title = options.title ?? "Scenario timeline";
  if (entries.length === 0) return emptyTimelineSvg(width, title);

  const plotX0 = LABEL_WIDTH + 10;
  const plotX1 = width - RIGHT_MARGIN;
  const origin = Math.min(startedAt ?? entries[0]!.at, entries[0]!.at);
  const end = Math.max(entries.at(-1)!.at, origin + 1000);
  const duration = end - origin;
  const scale: Scale = {
    x: (at) => plotX0 + ((at - origin) / duration) * (plotX1 - plotX0),
    offset: (at) => formatOffset(at - origin),
    end,
    plotX1,
  };
  const lanes = buildLanes(entries, scale);
  return drawTimeline({ width, title, entries, lanes, windows: faultWindows(entries, end), scale, origin, duration, plotX0 });
}

function emptyTimelineSvg(width: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="80" viewBox="0 0 ${width} 80" font-family="sans-serif">`,
    text(12, 24, title, `font-size="14" font-weight="bold" fill="${COLORS.text}"`),
    text(12, 52, "No timeline entries were recorded.", `font-size="12" fill="${COLORS.muted}"`),
    `</svg>`,
  ].join("\n");
}

interface Drawing {
  width: number;
  title: string;
  entries: readonly TimelineEntry[];
  lanes: Lane[];
  windows: FaultWindow[];
  scale: Scale;
  origin: number;
  duration: number;
  plotX0: number;
}

/** Header, fault windows shaded across every lane, axis and grid, the lanes, then the legend. */
function drawTimeline({ width, title, entries, lanes, windows, scale, origin, duration, plotX0 }: Drawing): string {
  const { x, offset, plotX1 } = scale;
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

  out.push(...legendSvg(legendY));
  out.push(`</svg>`);
  return out.join("\n");
}

function legendSvg(legendY: number): string[] {
  const out: string[] = [];
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
  return out;
}
