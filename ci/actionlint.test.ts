/**
 * Every workflow in .github/workflows/ passes actionlint (syntax, expressions, `needs`, permissions
 * scopes, action inputs, runner labels). Builds actionlint on first use (Go module proxy; cached).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../cluster/images.ts";
import { actionlintBinary, lintWorkflows, workflowFiles } from "./actionlint.ts";

const BUILD_TIMEOUT = 10 * 60_000;

describe("GitHub Actions workflows", () => {
  let binary: string;
  beforeAll(async () => {
    binary = await actionlintBinary((line) => process.stderr.write(`${line}\n`));
  }, BUILD_TIMEOUT);

  it("holds the nightly suite and the CI workflow", async () => {
    const names = (await workflowFiles()).map((file) => path.basename(file));
    expect(names).toEqual(expect.arrayContaining(["ci.yml", "nightly.yml"]));
  });

  it("passes actionlint with no finding", async () => {
    const files = await workflowFiles();
    const outcome = await lintWorkflows(files, binary);
    expect(outcome.findings.map((line) => line.replace(`${REPO_ROOT}/`, "")), "actionlint findings").toEqual([]);
    expect(outcome.exitCode).toBe(0);
  }, 60_000);

  it("reports a broken workflow (the linter is really looking)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "actionlint-negative-"));
    const file = path.join(dir, "broken.yml");
    await fs.writeFile(file, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [missing]\n    steps:\n      - run: echo ${{ github.nope }}\n");
    const outcome = await lintWorkflows([file], binary);
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.findings.join("\n")).toMatch(/missing/);
    await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);
});
