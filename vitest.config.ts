import { defineConfig } from "vitest/config";

// Two projects: `unit` (fakes, simulated time, seconds) and `lab` (the real API server, Kafka and Argo
// Rollouts of a running lab). Lab test files share one lab, so they run one file at a time.
export default defineConfig({
  test: {
    reporters: ["default", ["allure-vitest/reporter", { resultsDir: "allure-results" }]],
    projects: [
      {
        test: {
          name: "unit",
          include: ["{cluster,harness,healer,workloads,scenarios,reports}/**/*.test.ts"],
          exclude: ["**/*.lab.test.ts", "**/node_modules/**"],
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
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
