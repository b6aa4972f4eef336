/**
 * The healer process: `node --import tsx healer/src/main.ts`. Configuration from the environment
 * (validated: a bad value exits 2 naming the variable), SIGTERM/SIGINT → graceful stop (stop
 * remediating, finish the step in flight, commit offsets, release the Lease) within
 * HEALER_SHUTDOWN_TIMEOUT, then exit.
 */
import { loadConfig } from "./runtime/config.ts";
import { createLogger } from "./runtime/logger.ts";
import { startHealer, type StartedHealer } from "./healer.ts";
import { createProductionDeps } from "./production-deps.ts";
import { errorMessage } from "./runtime/errors.ts";

/** Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration. */
const EXIT_RUNTIME = 1;
const EXIT_CONFIG = 2;

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`healer: ${loaded.message}\n`);
    process.exitCode = EXIT_CONFIG;
    return;
  }
  const config = loaded.config;
  const logger = createLogger(config.logLevel);

  let healer: StartedHealer | undefined;
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, "shutdown requested");
    // The kubelet SIGKILLs after terminationGracePeriodSeconds; leave on our own terms before that.
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, "graceful stop timed out; exiting");
      logger.flush();
      process.exit(EXIT_RUNTIME);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    void (healer?.stop() ?? Promise.resolve())
      .catch((error: unknown) => {
        logger.error({ err: errorMessage(error) }, "error while stopping");
        process.exitCode = EXIT_RUNTIME;
      })
      .finally(() => {
        clearTimeout(deadline);
        logger.flush();
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("unhandledRejection", (reason) => logger.error({ err: errorMessage(reason) }, "unhandled promise rejection"));

  try {
    healer = await startHealer(config, createProductionDeps(config, logger));
  } catch (error) {
    logger.error({ err: errorMessage(error) }, "healer failed to start");
    process.exitCode = EXIT_RUNTIME;
    return;
  }
  if (shuttingDown) await healer.stop();
}

await main();
