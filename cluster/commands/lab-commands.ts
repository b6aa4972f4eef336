/**
 * `chaoslab lab setup|up|status|down`: the lab's lifecycle commands, registered on the harness CLI, the
 * same on every provider. They work on the sim lab unless `CLUSTER=kind|existing` (or `--provider`)
 * names another (`make chaos`, not these commands, auto-detects Docker: starting a lab should never pick
 * a cluster by surprise). `status` and `down` without CLUSTER find the lab that is up, whatever its provider.
 */
import type { Command } from "commander";
import type { ClusterProvider, ProviderName, StartedLab } from "../provider.ts";
import { attachRunningLab, defaultStateDir, isProviderName, labDescriptionCandidates, loadProvider } from "../providers/registry.ts";
import { stopSimLab } from "../sim/lab/stop-sim-lab.ts";

function providerName(option: string | undefined): ProviderName {
  const name = (option ?? process.env.CLUSTER)?.trim() || "sim";
  if (!isProviderName(name)) throw new Error(`${option ? "--provider" : "CLUSTER"}=${name} is not a cluster provider (use kind, sim or existing)`);
  return name;
}

function fail(error: unknown, exitCode = 3) {
  process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
  process.exitCode = exitCode;
}

/** An action whose error is reported in one line with exit code 3 (the lab failed), never a stack trace. */
function guarded<Options>(action: (options: Options) => Promise<void>): (options: Options) => Promise<void> {
  return (options) => action(options).catch((error: unknown) => fail(error));
}

/** The lab that is up: CLUSTER's (or --provider's) if named, else whichever is described and running. */
async function runningLab(option: string | undefined): Promise<StartedLab | undefined> {
  const named = option ?? process.env.CLUSTER?.trim();
  if (named) return (await loadProvider(providerName(named))).attach();
  if ((await labDescriptionCandidates()).length === 0) return undefined;
  return attachRunningLab().catch(() => undefined);
}

export function registerLabCommands(program: Command): void {
  const lab = program.command("lab").description("the lab's lifecycle on the chosen provider (CLUSTER=kind|sim|existing; default sim)");
  /** Every lab subcommand acts on one provider, chosen by --provider. */
  const labCommand = (name: string, description: string) =>
    lab.command(name).description(description).option("--provider <name>", "kind, sim or existing (default: CLUSTER, else sim)");

  labCommand("setup", "build or check what the provider needs (sim: its pinned components; kind: docker, kind, kubectl; all: k6); no-op when done")
    .option("--offline", "kind: build the node image, kind itself and every lab image from package registries (air-gapped, cluster/kind/offline/)")
    .action(
      guarded(async (options: { provider?: string; offline?: boolean }) => {
        const name = providerName(options.provider);
        if (options.offline) {
          if (name !== "kind") throw new Error(`--offline builds the air-gapped kind lab; it means nothing for ${name} (use --provider kind)`);
          const { buildOfflineKind } = await import("../kind/offline/build.ts");
          await buildOfflineKind();
          return;
        }
        const provider: ClusterProvider = await loadProvider(name);
        await provider.setup();
      }),
    );

  labCommand("up", "start the lab (a no-op that says so when it is already up)")
    .action(guarded(async (options: { provider?: string }) => (await loadProvider(providerName(options.provider))).up().then(() => undefined)));

  labCommand("status", "health of every lab component")
    .option("--json", "machine-readable output")
    .action(async (options: { provider?: string; json?: boolean }) => {
      let started: StartedLab | undefined;
      try {
        started = await runningLab(options.provider);
      } catch (error) {
        fail(error, 2);
        return;
      }
      if (!started) {
        // Nothing is up: report the provider `lab up` would start (CLUSTER, else sim).
        const name = providerName(options.provider);
        if (options.json) process.stdout.write(`${JSON.stringify({ provider: name, up: false, components: {} })}\n`);
        else process.stdout.write(`no lab is up (state dirs: ${(["sim", "kind", "existing"] as const).map((n) => defaultStateDir(n)).join(", ")}); start the ${name} lab with \`make lab-up\`\n`);
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
        process.stdout.write(`provider: ${started.description.provider}\n${line(["COMPONENT", "STATE", "PID", "DETAIL"])}\n${rows.map(line).join("\n")}\n`);
        process.stdout.write(`kubeconfig: ${started.description.kubeconfig}\n`);
      }
      if (!healthy) process.exitCode = 3;
    });

  labCommand("down", "stop the lab and remove its state (kind: delete the cluster; existing: detach, delete nothing)")
    .option("--keep-data", "keep the state dir (data, logs, PKI)")
    .action(
      guarded(async (options: { provider?: string; keepData?: boolean }) => {
        const name = providerName(options.provider);
        if (name === "sim") {
          // Not through attach: a half-started sim lab (no lab.json yet) must be stoppable too.
          const { leftoverPorts } = await stopSimLab(defaultStateDir("sim"), { keepData: options.keepData });
          if (leftoverPorts.length > 0) process.exitCode = 3;
          return;
        }
        const provider = await loadProvider(name);
        const started = await provider.attach();
        if (started) await started.down({ keepData: options.keepData });
        else if (await provider.removeLeftovers?.({ keepData: options.keepData })) process.stderr.write(`the ${name} lab was not up; removed what a failed start left\n`);
        else process.stderr.write(`the ${name} lab is not up; nothing to stop\n`);
      }),
    );
}
