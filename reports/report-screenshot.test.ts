/**
 * The rendered report, looked at in a real browser: realistic results of three scenarios (passed,
 * failed, broken) are written as `chaoslab run` writes them, rendered with Allure 3, and opened in
 * headless Chromium — the overview and each scenario's page. The page must show every scenario with
 * its status, category, steps and attachments; screenshots land in reports/out/screenshots/ for people
 * to look at. Needs Chromium (Debian: `apt-get install -y chromium`); fails, not skips, without it.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { writeAllureResults } from "./allure-results.ts";
import { renderReport, type RenderedReport } from "./render.ts";
import { REPORTS_OUT } from "./summary.ts";
import { descriptionText, findChromium, loadPage, pngSize, visibleText } from "./testing/headless-chromium.ts";
import { fixtureResults } from "./testing/report-fixtures.ts";

const SCREENSHOTS = path.join(REPORTS_OUT, "screenshots");
const PAGE = { width: 1400, height: 2200 };
const TIMEOUT = 240_000;

interface WrittenTest {
  uuid: string;
  name: string;
  status: string;
  labels: { name: string; value: string }[];
  steps: { name: string }[];
  attachments: { name: string; source: string; type: string }[];
}

const scenarios = fixtureResults();
const expectations: Record<string, { status: string; category?: string }> = {
  "loader-pod-delete": { status: "Passed" },
  "broker-crash": { status: "Failed", category: "Category: Resilience failures" },
  "kafka-latency": { status: "Broken", category: "Category: Lab breakage" },
};

/**
 * The page's visible text once it shows everything expected. The single-file app occasionally renders
 * "Failed to fetch" when its embedded data is not ready within the virtual time budget: load again
 * with a longer budget before giving up (the assertions then show what the page did say).
 */
async function pageShowing(url: string, expected: string[], screenshotFile: string): Promise<{ text: string; dom: string }> {
  let dom = "";
  let text = "";
  for (const budgetMs of [8_000, 15_000, 30_000]) {
    dom = await loadPage(url, { ...PAGE, budgetMs, timeoutMs: 90_000, screenshotFile });
    text = visibleText(dom);
    if (expected.every((part) => text.includes(part))) break;
  }
  return { text, dom };
}

async function expectScreenshot(file: string, size: { width: number; height: number }): Promise<void> {
  const png = await fs.readFile(file);
  expect(pngSize(png), file).toEqual(size);
  // A blank or error page compresses to a few KiB; a rendered report page is far larger.
  expect(png.length, `${file} looks empty`).toBeGreaterThan(30_000);
}

describe("the HTML report in headless Chromium", () => {
  let report: RenderedReport;
  let resultsDir: string;
  const written = new Map<string, WrittenTest>();

  // Without Chromium every test fails with how to install it (a failing beforeAll would only count
  // as skipped tests in the totals CI prints).
  let chromiumMissing: Error | undefined;
  const needChromium = () => {
    if (chromiumMissing) throw chromiumMissing;
  };

  beforeAll(async () => {
    chromiumMissing = await findChromium().then(
      () => undefined,
      (error: Error) => error,
    );
    if (chromiumMissing) return;
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "report-screenshot-"));
    resultsDir = path.join(root, "allure-results");
    await writeAllureResults(scenarios, resultsDir);
    for (const file of (await fs.readdir(resultsDir)).filter((name) => name.endsWith("-result.json"))) {
      const test = JSON.parse(await fs.readFile(path.join(resultsDir, file), "utf8")) as WrittenTest;
      written.set(test.labels.find((label) => label.name === "subSuite")!.value, test);
    }
    report = await renderReport({ resultsDir, outDir: path.join(root, "html"), historyFile: path.join(root, "history.jsonl") });
    await fs.mkdir(SCREENSHOTS, { recursive: true });
  }, TIMEOUT);

  it(
    "lists every scenario on the overview, with the totals and the lab's environment",
    async () => {
      needChromium();
      const file = path.join(SCREENSHOTS, "report-overview.png");
      const names = scenarios.map((scenario) => scenario.name);
      const { text } = await pageShowing(pathToFileURL(report.indexFile).href, [...names, "provider"], file);
      for (const name of names) expect(text).toContain(name);
      expect(text).toContain("StreamForge Chaos Lab");
      expect(text).toMatch(/Failed 1 Broken 1 Passed 1/);
      expect(text).toMatch(/provider sim/);
      expect(text).toMatch(/kubernetes v1\.34\.4/);
      await expectScreenshot(file, PAGE);
    },
    TIMEOUT,
  );

  for (const scenario of scenarios) {
    it(
      `shows ${scenario.name} with its status, category, every step and the attachments`,
      async () => {
        needChromium();
        const test = written.get(scenario.name)!;
        const { status, category } = expectations[scenario.name]!;
        const id = createHash("md5").update(test.uuid).digest("hex"); // Allure 3's test result id.
        const file = path.join(SCREENSHOTS, `report-${scenario.name}.png`);
        const stepNames = test.steps.map((step) => step.name);
        const { text, dom } = await pageShowing(`${pathToFileURL(report.indexFile).href}#/${id}`, [scenario.title!, ...stepNames], file);

        expect(text).toContain(scenario.title);
        expect(text).toContain(status);
        if (category) expect(text).toContain(category);
        expect(stepNames).toEqual(expect.arrayContaining(["Setup", "Revert", "Teardown", "Leak audit", ...scenario.faults.map((fault) => `Fault ${fault.name} (${fault.type})`)]));
        expect(stepNames.filter((name) => name.startsWith("Expect "))).toHaveLength(scenario.expectations.length);
        for (const name of stepNames) expect(text, `step "${name}"`).toContain(name);
        for (const attachment of ["timeline", "resolved plan", "probe samples", "Kubernetes events and object changes", "healer decisions", "seed and versions"]) {
          expect(text, `attachment "${attachment}"`).toContain(attachment);
        }
        expect(descriptionText(dom)).toContain(`Replay: chaoslab run ${scenario.file} --seed ${scenario.seed}`);
        await expectScreenshot(file, PAGE);
      },
      TIMEOUT,
    );
  }

  it(
    "draws each scenario's timeline attachment",
    async () => {
      needChromium();
      for (const scenario of scenarios) {
        const attachment = written.get(scenario.name)!.attachments.find((candidate) => candidate.name === "timeline")!;
        expect(attachment.type).toBe("image/svg+xml");
        const svgFile = path.join(resultsDir, attachment.source);
        const height = Number((await fs.readFile(svgFile, "utf8")).match(/^<svg [^>]*height="(\d+)"/)![1]);
        const file = path.join(SCREENSHOTS, `timeline-${scenario.name}.png`);
        // An SVG document: its text is in <text> elements (visibleText would drop the whole <svg>).
        const dom = await loadPage(pathToFileURL(svgFile).href, { width: 1200, height, budgetMs: 1000, screenshotFile: file });
        expect(dom.replace(/<[^>]+>/g, " ")).toContain(`${scenario.name} — ${scenario.verdict}`);
        expect(pngSize(await fs.readFile(file))).toEqual({ width: 1200, height });
      }
    },
    TIMEOUT,
  );
});
