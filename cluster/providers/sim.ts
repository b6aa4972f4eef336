/**
 * The `sim` cluster provider: the embedded lab of real upstream components as local processes
 * (see cluster/sim/ and ../shared/specs/sim-lab.md).
 */
import type { ClusterProvider, StartedLab, UpOptions } from "../provider.ts";
import { attachSimLab } from "../sim/lab/sim-lab.ts";
import { startSimLab } from "../sim/lab/start-sim-lab.ts";
import { provision } from "../build/provision.ts";
import type { ProviderOptions } from "./registry.ts";

export function createProvider(options: ProviderOptions = {}): ClusterProvider {
  return {
    name: "sim",
    // Every component, k6 included: the suite's canary scenarios run it.
    setup: async (setupOptions?: UpOptions) => {
      await provision({ log: setupOptions?.log });
    },
    // `up` always uses the configured state dir (CHAOSLAB_STATE_DIR or .chaoslab/sim): its ports and pod
    // IP ranges are per slot (CHAOSLAB_LAB_SLOT), not per directory.
    up: (upOptions?: UpOptions): Promise<StartedLab> => startSimLab(upOptions),
    attach: () => attachSimLab(options.stateDir),
  };
}
