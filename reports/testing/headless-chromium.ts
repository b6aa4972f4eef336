/**
 * Headless Chromium driven from its command line (no playwright: one fewer pinned package, and the
 * report needs no interaction — each test result has its own URL): `--dump-dom` for the DOM after the
 * page's scripts ran and, in the same load, `--screenshot` for a PNG. `--virtual-time-budget` lets the single-page
 * app finish rendering before either is taken. Every call gets a fresh profile and a time bound.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { $ } from "zx";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

export class ChromiumMissingError extends Error {
  override name = "ChromiumMissingError";
}

/** `$CHROMIUM`, else the first of chromium, chromium-browser, google-chrome(-stable) on PATH. */
export async function findChromium(): Promise<string> {
  const configured = process.env.CHROMIUM?.trim();
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new ChromiumMissingError(`CHROMIUM=${configured} is not an executable file: point it at a Chromium or Chrome binary, or unset it to search PATH`);
  }
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const name of CANDIDATES) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  throw new ChromiumMissingError(
    `headless Chromium is needed to check the rendered report, and none of ${CANDIDATES.join(", ")} is on PATH. ` +
      "Install it: `apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this), or set CHROMIUM=/path/to/chrome.",
  );
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PageOptions {
  width?: number;
  height?: number;
  /** Virtual time the page gets to run its scripts before the capture (default 8 s). */
  budgetMs?: number;
  /** Wall-clock bound on the whole Chromium process (default 60 s). */
  timeoutMs?: number;
}

async function runChromium(args: string[], options: PageOptions): Promise<string> {
  const chromium = await findChromium();
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), "chaoslab-chromium-"));
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    const flags = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--window-size=${options.width ?? 1400},${options.height ?? 1000}`,
      `--virtual-time-budget=${options.budgetMs ?? 8000}`,
    ];
    const result = await $({ quiet: true, nothrow: true, timeout: timeoutMs })`${chromium} ${flags} ${args}`;
    if (result.exitCode !== 0) {
      const why = result.exitCode === null ? `did not finish within ${timeoutMs / 1000}s` : `exited ${result.exitCode}`;
      throw new Error(`${chromium} ${args.join(" ")} ${why}:\n${result.stderr.trim().split("\n").slice(-10).join("\n")}`);
    }
    return result.stdout;
  } finally {
    await fs.rm(profile, { recursive: true, force: true });
  }
}

/**
 * Loads the page once and returns its DOM after the scripts ran; with `screenshotFile`, the same load
 * is also saved as a PNG of the viewport (`width` × `height`), so what the DOM shows is what the PNG shows.
 */
export async function loadPage(url: string, options: PageOptions & { screenshotFile?: string } = {}): Promise<string> {
  const args = ["--dump-dom"];
  if (options.screenshotFile) {
    await fs.mkdir(path.dirname(options.screenshotFile), { recursive: true });
    await fs.rm(options.screenshotFile, { force: true });
    args.push(`--screenshot=${options.screenshotFile}`);
  }
  return runChromium([...args, url], options);
}

/** The text a reader sees: without scripts, styles, inline SVG (icons) and markup; whitespace collapsed. */
/** The description Allure renders into a sandboxed iframe (`srcdoc`), as text. */
export function descriptionText(dom: string): string {
  const srcdoc = dom.match(/<iframe data-testid="test-result-description-frame"[^>]*srcdoc="([^"]*)"/)?.[1] ?? "";
  return visibleText(srcdoc.replace(/&(lt|gt|quot|amp);/g, (_, entity: string) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[entity]!));
}

export function visibleText(html: string): string {
  return html
    .replace(/<(script|style|svg|template|noscript)\b[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(nbsp|amp|lt|gt|quot|#39|apos);/g, (_, entity: string) => ({ nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'" })[entity]!)
    .replace(/\s+/g, " ")
    .trim();
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = "89504e470d0a1a0a";
  if (png.subarray(0, 8).toString("hex") !== signature) throw new Error("not a PNG file (bad signature)");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
