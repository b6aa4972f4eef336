/**
 * Collects `status()` checks of a provider: a check that throws makes its component unhealthy with the
 * error's first line, instead of failing the whole status report.
 */
import type { ComponentHealth } from "./provider.ts";

export function healthCollector() {
  const health: Record<string, ComponentHealth> = {};
  const guard = async (name: string, check: () => Promise<ComponentHealth>) => {
    try {
      health[name] = await check();
    } catch (error) {
      health[name] = { healthy: false, detail: (error as Error).message.split("\n")[0]! };
    }
  };
  return { health, guard };
}
