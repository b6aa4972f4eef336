/**
 * Figures of the air-gapped kind lab, recorded as the `kind` test project runs (image build, `lab up`,
 * each scenario on kind and through the existing provider) into reports/out/bench/kind.json, where
 * `make bench` renders them next to the sim's (bench/measured.ts). Merged key by key: each step of the
 * project writes its own part.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../images.ts";

export const KIND_FIGURES_FILE = path.join(REPO_ROOT, "reports", "out", "bench", "kind.json");

export interface KindFigures {
  measuredAt?: string;
  offlineImageBuildSeconds?: number;
  labUpSeconds?: number;
  /** Per provider (`kind`, `existing`): each scenario's wall time and verdict. */
  suites?: Record<string, Record<string, { seconds: number; verdict: string }>>;
  labDownSeconds?: number;
}

export async function readKindFigures(file = KIND_FIGURES_FILE): Promise<KindFigures> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as KindFigures;
  } catch {
    return {};
  }
}

export async function recordKindFigures(patch: (figures: KindFigures) => KindFigures, file = KIND_FIGURES_FILE): Promise<void> {
  const next = { ...patch(await readKindFigures(file)), measuredAt: new Date().toISOString() };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(next, null, 2)}\n`);
}

/** Records one scenario's time on a provider. */
export function recordKindScenario(provider: string, scenario: string, seconds: number, verdict: string): Promise<void> {
  return recordKindFigures((figures) => ({
    ...figures,
    suites: { ...figures.suites, [provider]: { ...figures.suites?.[provider], [scenario]: { seconds: Math.round(seconds * 10) / 10, verdict } } },
  }));
}
