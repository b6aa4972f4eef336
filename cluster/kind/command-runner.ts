/**
 * How the kind and existing providers run kind, kubectl and docker: one injectable function, so the exact
 * command lines are testable without Docker, and one zx-backed implementation for real use.
 */
import { $ } from "zx";

export interface CommandSpec {
  command: string;
  args: readonly string[];
  /** Written to the command's stdin (e.g. manifests for `kubectl apply -f -`). */
  input?: string;
  timeoutMs: number;
  cwd?: string;
}

export interface CommandResult {
  /** null when the process was killed (timeout) or could not start. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** What the shell reports when the command does not exist. */
export const COMMAND_NOT_FOUND = 127;

export type CommandRunner = (spec: CommandSpec) => Promise<CommandResult>;

/** Runs through zx's `$`: arguments are passed as an array (zx quotes each), never as one concatenated string. */
export const zxCommandRunner: CommandRunner = async (spec) => {
  const startedAt = Date.now();
  const output = await $({
    quiet: true,
    nothrow: true,
    timeout: spec.timeoutMs,
    input: spec.input,
    cwd: spec.cwd,
  })`${spec.command} ${spec.args}`;
  const killed = output.exitCode === null || output.signal !== null;
  return {
    exitCode: output.exitCode,
    stdout: output.stdout,
    stderr: output.stderr,
    timedOut: killed && Date.now() - startedAt >= spec.timeoutMs - 50,
  };
};

/** The same runner, with the named commands run from `binDir` (the air-gapped build's kind and kubectl). */
export function withToolsFrom(runner: CommandRunner, binDir: string, commands: readonly string[]): CommandRunner {
  return (spec) => runner(commands.includes(spec.command) ? { ...spec, command: `${binDir}/${spec.command}` } : spec);
}

export function commandLine(spec: Pick<CommandSpec, "command" | "args">): string {
  return [spec.command, ...spec.args].map((part) => (/^[\w/.,:=@%+-]+$/.test(part) ? part : JSON.stringify(part))).join(" ");
}

/** A command that failed, with what was being done, the command, its output and what to do. */
export class LabCommandError extends Error {
  constructor(
    readonly what: string,
    readonly spec: Pick<CommandSpec, "command" | "args" | "timeoutMs">,
    readonly result: CommandResult,
    readonly hint: string,
  ) {
    const outcome = result.timedOut
      ? `timed out after ${Math.round(spec.timeoutMs / 1000)}s`
      : result.exitCode === null
        ? "was killed"
        : result.exitCode === COMMAND_NOT_FOUND
          ? `could not run: ${spec.command} is not on PATH`
          : `exited with code ${result.exitCode}`;
    const output = tail(result.stderr.trim() || result.stdout.trim(), 1500);
    super(`${what} failed: \`${commandLine(spec)}\` ${outcome}${output ? `:\n${output}` : ""}\nWhat to do: ${hint}`);
    this.name = "LabCommandError";
  }
}

function tail(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars)}`;
}

export interface Step {
  /** What is being done, for the error message ("create kind cluster chaoslab"). */
  what: string;
  /** What the user should do when it fails. */
  hint: string;
}

/** Runs a command and returns its stdout; throws LabCommandError when it does not exit 0. */
export async function runOrThrow(runner: CommandRunner, spec: CommandSpec, step: Step): Promise<string> {
  const result = await runner(spec);
  if (result.exitCode !== 0) throw new LabCommandError(step.what, spec, result, step.hint);
  return result.stdout;
}

/** How long a quick question to a CLI (`docker info`, `kind get clusters`) may take. */
export const PROBE_TIMEOUT_MS = 30_000;

/** A quick question to a CLI, with PROBE_TIMEOUT_MS. */
export function probeCommand(command: string, args: string[]): CommandSpec {
  return { command, args, timeoutMs: PROBE_TIMEOUT_MS };
}
