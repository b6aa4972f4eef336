/**
 * `chaoslab/loader`: produces one task's records to `loader-data`, its ledger to `loader-ledger` and its
 * life to `queue-events`. Run: `node --import tsx workloads/loader/main.ts` with the env of
 * `workloads/manifests/loader-job.ts`.
 *
 * Exit codes: 0 task complete; 143 stopped by SIGTERM/SIGINT before completing (never 0: the Job must
 * not count an unfinished task as a completion); LOADER_FATAL_EXIT_CODE (42) for "fatal, do not retry"
 * — a fatal fault or an invalid configuration, which no retry can fix; a crash fault's own code.
 */
import { LOADER_FATAL_EXIT_CODE } from "../queue-events/contract.ts";
import { withTimeout } from "../shared/backoff.ts";
import { createKafka, errorFields } from "../shared/kafka-client.ts";
import { createLogger } from "../shared/logger.ts";
import { loadLoaderConfig, type LoaderConfig } from "./config.ts";
import { KafkaLoaderTransport } from "./kafka-transport.ts";
import { Loader } from "./loader.ts";
import { TERMINATED_EXIT_CODE } from "./loader-contract.ts";

/** SIGTERM to exit, whatever hangs: the Job's grace period is longer, the brief says "a couple of seconds". */
const HARD_STOP_MS = 3000;

const bootLogger = createLogger("loader");
let config: LoaderConfig | undefined;
try {
  config = loadLoaderConfig(process.env);
} catch (error) {
  bootLogger.fatal({ errorName: (error as Error).name }, `${(error as Error).message}\nexiting with ${LOADER_FATAL_EXIT_CODE} (fatal: a retry cannot fix configuration)`);
  process.exitCode = LOADER_FATAL_EXIT_CODE;
}

if (config) {
  const logger = bootLogger.child({ taskId: config.taskId, attempt: config.attempt, jobName: config.jobName });
  process.on("unhandledRejection", (reason) => {
    // kafkajs can reject a promise nobody awaits (a request that outlived its caller); log, never crash.
    logger.error({ ...errorFields(reason) }, "unhandled rejection (ignored)");
  });

  const kafka = createKafka({ brokers: config.brokers, clientId: `loader-${config.taskId}`, logger });
  const transport = new KafkaLoaderTransport(kafka, config, logger);
  const loader = new Loader(config, transport, {
    logger,
    shutdownBudgetMs: 1000,
    crash: (exitCode) => {
      logger.error({ exitCode }, `crashing on purpose with exit code ${exitCode} (fault profile)`);
      process.exit(exitCode);
    },
  });

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "signal received");
    loader.terminate();
    setTimeout(() => {
      logger.error({ signal, hardStopMs: HARD_STOP_MS }, "shutdown took too long; exiting now");
      process.exit(TERMINATED_EXIT_CODE);
    }, HARD_STOP_MS);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  const outcome = await loader.run();
  await withTimeout(transport.close(400), 500);
  logger.info({ ...outcome, acked: loader.progress, eventsDropped: loader.eventsDropped }, `loader exiting with ${outcome.exitCode} (${outcome.reason})`);
  process.exitCode = outcome.exitCode;
  // kafkajs may keep a timer or socket alive for a while after disconnect; do not let it hold the pod.
  setTimeout(() => process.exit(outcome.exitCode), 200).unref();
}
