/**
 * A scripted CommandRunner for unit tests: records every command and answers by the first matching rule
 * (rules added later win, so a test can override a default). Unmatched commands succeed with no output.
 */
import { parseAllDocuments } from "yaml";
import { type CommandResult, type CommandRunner, type CommandSpec, commandLine } from "../kind/command-runner.ts";

type Response = Partial<CommandResult> | ((spec: CommandSpec, line: string) => Partial<CommandResult> | Promise<Partial<CommandResult>>);

export class FakeCommandRunner {
  readonly calls: CommandSpec[] = [];
  private readonly rules: { pattern: RegExp; response: Response }[] = [];

  /** Answers commands whose line (kubectl's without `--kubeconfig <file>`) matches `pattern`. */
  on(pattern: RegExp | string, response: Response): this {
    this.rules.unshift({ pattern: typeof pattern === "string" ? new RegExp(`^${escape(pattern)}`) : pattern, response });
    return this;
  }

  readonly run: CommandRunner = async (spec) => {
    this.calls.push(spec);
    const line = FakeCommandRunner.line(spec);
    const rule = this.rules.find((candidate) => candidate.pattern.test(line));
    const partial = rule ? (typeof rule.response === "function" ? await rule.response(spec, line) : rule.response) : {};
    return { exitCode: 0, stdout: "", stderr: "", timedOut: false, ...partial };
  };

  /** Command lines so far, kubectl's without `--kubeconfig <file>` (the same in every kubectl call). */
  lines(): string[] {
    return this.calls.map((spec) => FakeCommandRunner.line(spec));
  }

  static line(spec: Pick<CommandSpec, "command" | "args">): string {
    const line = commandLine(spec);
    return /(^|\/)kubectl$/.test(spec.command) ? line.replace(/ --kubeconfig \S+/, "") : line;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The objects piped to `kubectl apply -f -`: a JSON v1 List (Kubectl.apply) or YAML documents (applyText). */
export function appliedObjects(input: string): Record<string, any>[] {
  const parsed = parseAllDocuments(input).map((document) => document.toJS() as Record<string, unknown>);
  return parsed.length === 1 && parsed[0]!.kind === "List" ? (parsed[0]!.items as Record<string, any>[]) : (parsed as Record<string, any>[]);
}
