/**
 * `chaoslab lab setup|up|status|down`: the lab's lifecycle commands, registered on the harness CLI.
 */
import type { Command } from "commander";
import { provision, DEFAULT_COMPONENTS } from "./sim/provision.ts";
import { attachSimLab, readLabDescription, SimLab, startSimLab, stopSimLab } from "./sim/sim-lab.ts";
import { stateDir } from "./sim/layout.ts";

function fail(error: unknown, exitCode = 3) {
  process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
  process.exitCode = exitCode;
}

export function registerLabCommands(program: Command): void {
  const lab = program.command("lab").description("the embedded sim lab: build, start, inspect, stop");

  lab
    .command("setup")
    .description("build or fetch the pinned upstream components into the cache (no-op when cached)")
    .option("--with <components...>", `extra components besides ${DEFAULT_COMPONENTS.join(", ")} (e.g. k6)`, [])
    .action(async (options: { with: string[] }) => {
      try {
        await provision({ only: [...DEFAULT_COMPONENTS, ...options.with] });
      } catch (error) {
        fail(error);
      }
    });

  lab
    .command("up")
    .description("start the sim lab (a no-op that says so when it is already up)")
    .action(async () => {
      try {
        await startSimLab();
      } catch (error) {
        fail(error);
      }
    });

  lab
    .command("status")
    .description("health of every lab component")
    .option("--json", "machine-readable output")
    .action(async (options: { json?: boolean }) => {
      const description = await readLabDescription();
      const started = (await attachSimLab()) ?? (description ? new SimLab(description) : undefined);
      if (!started) {
        if (options.json) process.stdout.write(`${JSON.stringify({ provider: "sim", up: false, components: {} })}\n`);
        else process.stdout.write(`the sim lab is not up (state dir: ${stateDir()}); start it with \`make lab-up\`\n`);
        process.exitCode = 3;
        return;
      }
      const components = await started.status();
      const healthy = Object.values(components).every((component) => component.healthy);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ provider: "sim", up: true, healthy, components }, null, 2)}\n`);
      } else {
        const rows = Object.entries(components).map(([name, health]) => [name, health.healthy ? "healthy" : "UNHEALTHY", String(health.pid ?? "-"), health.detail]);
        const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length), ["COMPONENT", "STATE", "PID"][column]!.length));
        const line = (cells: string[]) => cells.map((cell, index) => (index < 3 ? cell.padEnd(widths[index]!) : cell)).join("  ");
        process.stdout.write(`${line(["COMPONENT", "STATE", "PID", "DETAIL"])}\n${rows.map(line).join("\n")}\n`);
        process.stdout.write(`kubeconfig: ${started.description.kubeconfig}\n`);
      }
      if (!healthy) process.exitCode = 3;
    });

  lab
    .command("down")
    .description("stop every lab process and remove the state dir")
    .option("--keep-data", "keep the state dir (data, logs, PKI)")
    .action(async (options: { keepData?: boolean }) => {
      try {
        const { leftoverPorts } = await stopSimLab(stateDir(), { keepData: options.keepData });
        if (leftoverPorts.length > 0) process.exitCode = 3;
      } catch (error) {
        fail(error);
      }
    });
}
