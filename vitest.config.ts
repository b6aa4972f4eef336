import { defineConfig } from "vitest/config";

// Four projects, run in this order by `make test`:
//  - unit: fakes and simulated time, seconds;
//  - lab: the real API server, Kafka and Argo Rollouts of one shared running lab (one file at a time);
//  - lifecycle: `chaoslab lab up|status|down` end to end — it takes the sim lab down;
//  - kind: the suite on a real kind cluster of the air-gapped images, started by cluster/testing/kind-project.ts
//    (which starts Docker, builds the images, and reports the project as not run, by name, where Docker cannot start).
// Each run writes a JSON report (reports/out/tests/<run>.json) that reports/test-summary.ts totals.
const run = process.env.CHAOSLAB_TEST_RUN ?? "all";

export default defineConfig({
  test: {
    reporters: ["default", "json", ["allure-vitest/reporter", { resultsDir: "allure-results" }]],
    outputFile: { json: `reports/out/tests/${run}.json` },
    projects: [
      {
        test: {
          name: "unit",
          include: ["{bench,ci,cluster,harness,healer,workloads,scenarios,reports}/**/*.test.ts"],
          exclude: ["**/*.lab.test.ts", "**/*.lifecycle.test.ts", "**/*.kind.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "lab",
          include: ["{cluster,harness,healer,workloads,scenarios,reports}/**/*.lab.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["cluster/testing/lab-global-setup.ts"],
          fileParallelism: false,
          // One retry: these tests time real controllers, brokers and processes on 2 shared cores, where
          // a scheduling stall can cost a second. A retried test is reported as flaky (vitest, Allure);
          // one that fails twice fails the run.
          retry: 1,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "lifecycle",
          include: ["{cluster,harness}/**/*.lifecycle.test.ts"],
          fileParallelism: false,
          testTimeout: 25 * 60_000,
        },
      },
      {
        test: {
          name: "kind",
          include: ["{cluster,harness}/**/*.kind.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["cluster/testing/kind-global-setup.ts"],
          fileParallelism: false,
          // Tests run in file order: the last one takes the lab down.
          sequence: { concurrent: false },
          testTimeout: 15 * 60_000,
          hookTimeout: 10 * 60_000,
        },
      },
    ],
  },
});
