/**
 * The `sim` cluster provider: the embedded lab of real upstream components as local processes
 * (see cluster/sim/ and ../shared/specs/sim-lab.md).
 */
import type { ClusterProvider, StartedLab, UpOptions } from "../provider.ts";
import { attachSimLab, startSimLab } from "../sim/sim-lab.ts";

export const simProvider: ClusterProvider = {
  name: "sim",
  up: (options?: UpOptions): Promise<StartedLab> => startSimLab(options),
  attach: () => attachSimLab(),
};

export default simProvider;
