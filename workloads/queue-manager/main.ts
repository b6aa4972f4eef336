/**
 * Entry point of the `chaoslab/queue-manager` image (cluster/images.ts). One image, two roles chosen by
 * the pod template's env `QUEUE_MANAGER_ROLE`:
 *   - `service` (default): the queue-manager HTTP service released by the Rollout;
 *   - `canary-stats-aggregator`: sums `/stats` of the pods of one pod-template hash for the canary
 *     analysis (manifests/canary-stats-aggregator.yaml). Loaded lazily: the service does not pay for
 *     the Kubernetes client on every one of its ten replicas.
 */
import { pino } from "pino";
import { ConfigError, readQueueManagerConfig } from "./queue-manager-config.ts";
import { startQueueManager } from "./queue-manager-server.ts";

const role = process.env.QUEUE_MANAGER_ROLE?.trim() || "service";
const logger = pino({ name: `queue-manager/${role}`, level: process.env.LOG_LEVEL ?? "info" });

interface Stoppable {
  shutdown(): Promise<void>;
}

async function start(): Promise<Stoppable> {
  switch (role) {
    case "service":
      return startQueueManager(readQueueManagerConfig(), { logger });
    case "canary-stats-aggregator": {
      const { startCanaryStatsAggregatorFromEnv } = await import("./canary-stats-aggregator.ts");
      return startCanaryStatsAggregatorFromEnv(process.env, logger);
    }
    default:
      throw new ConfigError(
        `env QUEUE_MANAGER_ROLE: expected "service" or "canary-stats-aggregator", found ${JSON.stringify(role)}; fix the pod template's env`,
      );
  }
}

try {
  const running = await start();
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "stopping");
      running.shutdown().then(
        () => logger.info("stopped"),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exitCode = 1;
        },
      );
    });
  }
} catch (error) {
  logger.error({ err: error }, error instanceof ConfigError ? "invalid configuration" : "failed to start");
  process.exitCode = 1;
}
