import { describe, expect, it } from "vitest";
import { gitHubTargetFromEnv, issueTitleFor, openOrUpdateRegressionIssues, REGRESSION_LABEL, type HttpClient, type HttpResponse } from "./regression-issues.ts";
import { recordRun } from "./run-record.ts";
import { regressions, scenarioTrends } from "./scenario-trends.ts";
import { nightSummary } from "./testing/nightly-fixtures.ts";

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A GitHub REST API that answers from a script and remembers what it was asked. */
function fakeGitHub(answer: (call: Call) => HttpResponse, labelExists = true): HttpClient & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async request(method, url, { headers, body }) {
      const call = { method, url, headers, body };
      calls.push(call);
      if (url.endsWith(`/labels/${REGRESSION_LABEL}`)) return labelExists ? { status: 200, body: { name: REGRESSION_LABEL } } : { status: 404, body: { message: "Not Found" } };
      if (url.endsWith("/labels")) return { status: 201, body: { name: REGRESSION_LABEL } };
      return answer(call);
    },
  };
}
const LABEL_GET = `GET https://api.github.test/repos/streamforge/chaoslab/labels/${REGRESSION_LABEL}`;

const target = { token: "t0ken", repository: "streamforge/chaoslab", apiUrl: "https://api.github.test", runUrl: "https://github.test/streamforge/chaoslab/actions/runs/42" };
const runs = [recordRun(nightSummary(0)), recordRun(nightSummary(1, { "loader-pod-delete": "failed" }))];
const regressed = regressions(scenarioTrends(runs));
const tonight = runs.at(-1)!;

describe("regression issues through the GitHub REST API", () => {
  it("opens one labelled issue per regressed scenario when none is open", async () => {
    const github = fakeGitHub((call) => (call.method === "GET" ? { status: 200, body: [{ number: 7, title: "Nightly regression: another-scenario" }] } : { status: 201, body: { number: 12 } }));
    const outcomes = await openOrUpdateRegressionIssues(regressed, tonight, target, github, "https://pages.test/");
    expect(outcomes).toEqual([{ scenario: "loader-pod-delete", action: "opened", number: 12 }]);
    expect(github.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      LABEL_GET,
      `GET https://api.github.test/repos/streamforge/chaoslab/issues?state=open&labels=${REGRESSION_LABEL}&per_page=100`,
      "POST https://api.github.test/repos/streamforge/chaoslab/issues",
    ]);
    const created = github.calls[2]!.body as { title: string; body: string; labels: string[] };
    expect(created.title).toBe(issueTitleFor("loader-pod-delete"));
    expect(created.labels).toEqual([REGRESSION_LABEL]);
    expect(created.body).toContain("passed in the previous nightly run and **failed**");
    expect(created.body).toContain("forced to fail by the test fixture");
    expect(created.body).toContain(target.runUrl);
    expect(created.body).toContain("https://pages.test/");
    expect(github.calls[0]!.headers.authorization).toBe("Bearer t0ken");
  });

  it("comments on the open issue of a scenario that regressed before, instead of opening another", async () => {
    const github = fakeGitHub((call) => (call.method === "GET" ? { status: 200, body: [{ number: 9, title: issueTitleFor("loader-pod-delete") }] } : { status: 201, body: { id: 1 } }));
    expect(await openOrUpdateRegressionIssues(regressed, tonight, target, github)).toEqual([{ scenario: "loader-pod-delete", action: "commented", number: 9 }]);
    expect(github.calls[2]!.url).toBe("https://api.github.test/repos/streamforge/chaoslab/issues/9/comments");
  });

  it("does not take a pull request with the same title for the issue", async () => {
    const github = fakeGitHub((call) => (call.method === "GET" ? { status: 200, body: [{ number: 3, title: issueTitleFor("loader-pod-delete"), pull_request: {} }] } : { status: 201, body: { number: 4 } }));
    expect((await openOrUpdateRegressionIssues(regressed, tonight, target, github))[0]!.action).toBe("opened");
  });

  it("creates the label first when the repository lacks it (GitHub would drop an unknown label)", async () => {
    const github = fakeGitHub((call) => (call.method === "GET" ? { status: 200, body: [] } : { status: 201, body: { number: 2 } }), false);
    await openOrUpdateRegressionIssues(regressed, tonight, target, github);
    expect(github.calls.slice(0, 2).map((call) => `${call.method} ${call.url}`)).toEqual([LABEL_GET, "POST https://api.github.test/repos/streamforge/chaoslab/labels"]);
    expect(github.calls[1]!.body).toMatchObject({ name: REGRESSION_LABEL });
  });

  it("calls nothing when nothing regressed", async () => {
    const github = fakeGitHub(() => ({ status: 500, body: null }));
    expect(await openOrUpdateRegressionIssues([], tonight, target, github)).toEqual([]);
    expect(github.calls).toEqual([]);
  });

  it("says what the API answered and what to check when the token may not write issues", async () => {
    const github = fakeGitHub(() => ({ status: 403, body: { message: "Resource not accessible by integration" } }));
    // The label exists; listing the issues is refused.
    await expect(openOrUpdateRegressionIssues(regressed, tonight, target, github)).rejects.toThrow(/answered 403: Resource not accessible by integration .*issues: write/);
  });

  it("takes its target from the Actions environment, and none without a token", () => {
    expect(gitHubTargetFromEnv({ GITHUB_REPOSITORY: "o/r" })).toBeUndefined();
    expect(gitHubTargetFromEnv({ GITHUB_TOKEN: "x" })).toBeUndefined();
    expect(gitHubTargetFromEnv({ GITHUB_TOKEN: "x", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "5", GITHUB_API_URL: "https://ghe.test/api/v3/" })).toEqual({
      token: "x",
      repository: "o/r",
      apiUrl: "https://ghe.test/api/v3",
      runUrl: "https://github.com/o/r/actions/runs/5",
    });
  });
});
