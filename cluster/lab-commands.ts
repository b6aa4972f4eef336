/**
 * `chaoslab lab setup|up|status|down`: the lab's lifecycle commands, registered on the harness CLI.
 * They work on the sim lab unless `CLUSTER=kind|existing` names another provider (`make chaos`, not
 * these commands, auto-detects Docker: starting a lab should never pick a cluster by surprise).
 */
import type { Command } from "commander";
import { isProviderName, loadProvider } from "./providers/detect.ts";
import type { ClusterProvider } from "./provider.ts";
import { provision, DEFAULT_COMPONENTS } from "./sim/provision.ts";
import { attachSimLab, readLabDescription, SimLab, startSimLab, stopSimLab } from "./sim/sim-lab.ts";
import { stateDir } from "./sim/layout.ts";

/** The provider named by CLUSTER, or undefined for the sim (handled directly: it can stop a half-started lab). */
async function otherProvider(): Promise<ClusterProvider | undefined> {
  const name = process.env.CLUSTER?.trim();
  if (!name || name === "sim") return undefined;
  if (!isProviderName(name)) throw new Error(`CLUSTER=${name} is not a cluster provider (use kind, sim or existing)`);
  return loadProvider(name);
}

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
    .option("--provider <name>", "sim (default) or kind")
    .option("--offline", "kind: build the node image and kind itself from package registries (air-gapped, cluster/kind/offline/)")
    .action(async (options: { with: string[]; provider?: string; offline?: boolean }) => {
      try {
        if (options.provider === "kind") {
          if (!options.offline) throw new Error("`lab setup --provider kind` builds only the air-gapped kind lab: add --offline (online, kind pulls its node image)");
          const { buildOfflineKind } = await import("./kind/offline/build.ts");
          await buildOfflineKind();
          return;
        }
        if (options.provider !== undefined && options.provider !== "sim") throw new Error(`lab setup --provider ${options.provider}: use sim or kind`);
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
        const provider = await otherProvider();
        if (provider) await provider.up();
        else await startSimLab();
      } catch (error) {
        fail(error);
      }
    });

  lab
    .command("status")
    .description("health of every lab component")
    .option("--json", "machine-readable output")
    .action(async (options: { json?: boolean }) => {
      const provider = await otherProvider().catch((error) => fail(error, 2));
      if (process.exitCode) return;
      const description = provider ? undefined : await readLabDescription();
      const started = provider ? await provider.attach() : ((await attachSimLab()) ?? (description ? new SimLab(description) : undefined));
      if (!started) {
        const name = provider?.name ?? "sim";
        if (options.json) process.stdout.write(`${JSON.stringify({ provider: name, up: false, components: {} })}\n`);
        else process.stdout.write(`the ${name} lab is not up${provider ? "" : ` (state dir: ${stateDir()})`}; start it with \`make lab-up\`\n`);
        process.exitCode = 3;
        return;
      }
      const components = await started.status();
      const healthy = Object.values(components).every((component) => component.healthy);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ provider: started.description.provider, up: true, healthy, components }, null, 2)}\n`);
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
        const provider = await otherProvider();
        if (provider) {
          const started = await provider.attach();
          if (started) await started.down({ keepData: options.keepData });
          else process.stderr.write(`the ${provider.name} lab is not up; nothing to stop\n`);
          return;
        }
        const { leftoverPorts } = await stopSimLab(stateDir(), { keepData: options.keepData });
        if (leftoverPorts.length > 0) process.exitCode = 3;
      } catch (error) {
        fail(error);
      }
    });
}
