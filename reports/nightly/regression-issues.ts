/**
 * One GitHub issue per regressed scenario, through the REST API: opened the first night it regresses,
 * commented on every later night it regresses again while the issue is open. Found again by its title
 * (`Nightly regression: <scenario>`) among the open issues labelled `nightly-regression`, so a rerun of
 * the same night does not open a second issue.
 *
 * Runs only when the environment gives a token (`GITHUB_TOKEN`, with `issues: write`) and the repository
 * (`GITHUB_REPOSITORY`, set by Actions). The HTTP client is a parameter: tests pass a fake, nothing here
 * reaches the network unless a caller passes the real one.
 */
import type { RunRecord } from "./run-record.ts";
import type { ScenarioTrend } from "./scenario-trends.ts";

export const REGRESSION_LABEL = "nightly-regression";

export interface HttpResponse {
  status: number;
  body: unknown;
}

export interface HttpClient {
  request(method: "GET" | "POST", url: string, options: { headers: Record<string, string>; body?: unknown }): Promise<HttpResponse>;
}

export const fetchHttpClient: HttpClient = {
  async request(method, url, { headers, body }) {
    const response = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (an HTML error page): keep the text for the error message.
    }
    return { status: response.status, body: parsed };
  },
};

export interface GitHubTarget {
  token: string;
  /** owner/name */
  repository: string;
  apiUrl: string;
  /** Link to this run, for the issue text. */
  runUrl?: string;
}

/** The target from the Actions environment, or undefined when no token or repository is given. */
export function gitHubTargetFromEnv(env: Readonly<Record<string, string | undefined>>): GitHubTarget | undefined {
  const token = env.GITHUB_TOKEN?.trim();
  const repository = env.GITHUB_REPOSITORY?.trim();
  if (!token || !repository) return undefined;
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  return {
    token,
    repository,
    apiUrl: (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/$/, ""),
    runUrl: env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
  };
}

export const issueTitleFor = (scenario: string) => `Nightly regression: ${scenario}`;

export interface IssueOutcome {
  scenario: string;
  action: "opened" | "commented";
  number: number;
}

function issueBody(trend: ScenarioTrend, tonight: RunRecord, target: GitHubTarget, reportUrl: string | undefined): string {
  const record = tonight.scenarios[trend.name];
  return [
    `The scenario \`${trend.name}\` passed in the previous nightly run and **failed** on ${tonight.at} (${tonight.provider}).`,
    "",
    `- why: ${record?.reason ?? "see the report"}`,
    `- verdicts, oldest first: \`${trend.verdicts.map((verdict) => verdict ?? "·").join(" ")}\``,
    target.runUrl ? `- run: ${target.runUrl}` : "",
    reportUrl ? `- report: ${reportUrl}` : "",
    "",
    "Opened by `chaoslab nightly` (reports/nightly/regression-issues.ts); later regressions of this scenario comment here while the issue is open.",
  ]
    .filter((line, index, lines) => line !== "" || lines[index - 1] !== "")
    .join("\n");
}

const headersFor = (target: GitHubTarget): Record<string, string> => ({
  authorization: `Bearer ${target.token}`,
  accept: "application/vnd.github+json",
  "x-github-api-version": "2022-11-28",
  "user-agent": "streamforge-chaoslab-nightly",
});

function apiError(method: string, url: string, response: HttpResponse): Error {
  const said = typeof response.body === "object" && response.body !== null && "message" in response.body ? String((response.body as { message: unknown }).message) : String(response.body).slice(0, 200);
  const hint = response.status === 403 || response.status === 404 ? " (does the token have `issues: write` on this repository? the nightly workflow grants it to the regression-issues job)" : "";
  return new Error(`GitHub ${method} ${url} answered ${response.status}: ${said}${hint}`);
}

async function call(http: HttpClient, target: GitHubTarget, method: "GET" | "POST", pathAndQuery: string, body?: unknown): Promise<unknown> {
  const url = `${target.apiUrl}${pathAndQuery}`;
  const response = await http.request(method, url, { headers: headersFor(target), body });
  if (response.status < 200 || response.status >= 300) throw apiError(method, url, response);
  return response.body;
}

/**
 * The label must exist before an issue carries it: GitHub silently drops unknown labels for a token
 * without push access (the nightly's token has only `issues: write`), and the next night would then not
 * find the issue and open a second one.
 */
async function ensureLabel(http: HttpClient, target: GitHubTarget): Promise<void> {
  const url = `${target.apiUrl}/repos/${target.repository}/labels/${REGRESSION_LABEL}`;
  const response = await http.request("GET", url, { headers: headersFor(target) });
  if (response.status === 200) return;
  if (response.status !== 404) throw apiError("GET", url, response);
  await call(http, target, "POST", `/repos/${target.repository}/labels`, { name: REGRESSION_LABEL, color: "d0342c", description: "A nightly resilience scenario that passed and now fails (chaoslab nightly)" });
}

export async function openOrUpdateRegressionIssues(
  regressed: readonly ScenarioTrend[],
  tonight: RunRecord,
  target: GitHubTarget,
  http: HttpClient = fetchHttpClient,
  reportUrl?: string,
): Promise<IssueOutcome[]> {
  if (regressed.length === 0) return [];
  await ensureLabel(http, target);
  const open = (await call(http, target, "GET", `/repos/${target.repository}/issues?state=open&labels=${REGRESSION_LABEL}&per_page=100`)) as { number: number; title: string; pull_request?: unknown }[];
  const outcomes: IssueOutcome[] = [];
  for (const trend of regressed) {
    const body = issueBody(trend, tonight, target, reportUrl);
    const existing = open.find((issue) => issue.title === issueTitleFor(trend.name) && !issue.pull_request);
    if (existing) {
      await call(http, target, "POST", `/repos/${target.repository}/issues/${existing.number}/comments`, { body });
      outcomes.push({ scenario: trend.name, action: "commented", number: existing.number });
    } else {
      const created = (await call(http, target, "POST", `/repos/${target.repository}/issues`, { title: issueTitleFor(trend.name), body, labels: [REGRESSION_LABEL] })) as { number: number };
      outcomes.push({ scenario: trend.name, action: "opened", number: created.number });
    }
  }
  return outcomes;
}
