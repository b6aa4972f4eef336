/**
 * What makes the sim's Kafka start fast on 2 cores, both made once per Kafka build and kept in the cache
 * (`~/.cache/chaoslab/kafka-startup/<build>/`):
 *  - an application class-data archive (AppCDS): three broker JVMs loading Kafka's ~5,000 classes from
 *    jars are most of `lab up`'s critical path; mapped from an archive they start in a fraction of the
 *    CPU. It is recorded by a training run of one broker (`-XX:ArchiveClassesAtExit`), checked with
 *    `-Xshare:on`, and only then used; a missing or rejected archive just means a slower start;
 *  - formatted storage per node (`kafka-storage format`'s meta.properties and bootstrap checkpoint):
 *    copying it costs milliseconds where three formatting JVMs cost ~1.7 s on every `lab up`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { $ } from "zx";
import { cacheDir } from "../build/cache-dir.ts";
import { canConnect } from "../network/tcp-probe.ts";

/** The JVM flags every Kafka JVM of the lab shares (brokers and StorageTool). */
export const KAFKA_JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"] as const;

const TRAINING_TIMEOUT_MS = 90_000;

/** Where this Kafka build's startup artefacts live: keyed by the build's cache entry (version + hash). */
export function kafkaStartupDir(libsDir: string): string {
  return path.join(cacheDir(), "kafka-startup", path.basename(path.dirname(libsDir)));
}

export function classArchivePath(libsDir: string): string {
  return path.join(kafkaStartupDir(libsDir), "broker-classes.jsa");
}

const exists = (file: string) => fs.access(file).then(() => true, () => false);

/** A JVM accepts the archive for this class path (`-Xshare:on` fails instead of falling back). */
async function archiveAccepted(archive: string, libsDir: string, log4j: string): Promise<boolean> {
  const result = await $({ quiet: true, nothrow: true })`java ${KAFKA_JVM_FLAGS} -Xshare:on -XX:SharedArchiveFile=${archive} -Dlog4j2.configurationFile=${log4j} -cp ${path.join(libsDir, "*")} kafka.tools.StorageTool random-uuid`;
  return result.exitCode === 0;
}

export interface TrainingBroker {
  /** server.properties of a single-node KRaft broker in a scratch directory, already formatted. */
  properties: string;
  /** Its listener, to know when it is up. */
  host: string;
  port: number;
  log4j: string;
}

/**
 * The class archive for this Kafka build, made now if it is missing (one training run: ~15 s, once per
 * build and machine). Undefined when it cannot be made: the brokers then start without it.
 */
export async function ensureClassArchive(libsDir: string, training: () => Promise<TrainingBroker>, log: (line: string) => void): Promise<string | undefined> {
  const archive = classArchivePath(libsDir);
  if (await exists(archive)) return archive;
  await fs.mkdir(path.dirname(archive), { recursive: true });
  const partial = `${archive}.${process.pid}.partial`;
  const started = Date.now();
  try {
    const broker = await training();
    const child = spawn("java", [...KAFKA_JVM_FLAGS, "-Xmx384m", `-XX:ArchiveClassesAtExit=${partial}`, `-Dlog4j2.configurationFile=${broker.log4j}`, "-cp", path.join(libsDir, "*"), "kafka.Kafka", broker.properties], {
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + TRAINING_TIMEOUT_MS;
    while (!(await canConnect(broker.host, broker.port, 500)) && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), TRAINING_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    if (!(await exists(partial)) || !(await archiveAccepted(partial, libsDir, broker.log4j))) {
      log(`[lab] Kafka class archive: the training run left no usable archive; brokers start without it`);
      return undefined;
    }
    await fs.rename(partial, archive);
    log(`[lab] Kafka class archive recorded once for this build (${((Date.now() - started) / 1000).toFixed(1)} s): ${archive}`);
    return archive;
  } catch (error) {
    log(`[lab] Kafka class archive not made (${(error as Error).message}); brokers start without it`);
    return undefined;
  } finally {
    await fs.rm(partial, { force: true });
  }
}

/** The formatted-storage template of one node: keyed by its configuration (data path left out). */
function templateDir(libsDir: string, nodeId: number, properties: string, dataDir: string): string {
  const key = createHash("sha256").update(properties.replaceAll(dataDir, "<data>")).digest("hex").slice(0, 16);
  return path.join(kafkaStartupDir(libsDir), "formatted", `node-${nodeId}-${key}`);
}

/** Copies the node's formatted storage from the cache; false when there is none yet. */
export async function restoreFormattedStorage(libsDir: string, nodeId: number, properties: string, dataDir: string): Promise<boolean> {
  const template = templateDir(libsDir, nodeId, properties, dataDir);
  if (!(await exists(template))) return false;
  await fs.cp(template, dataDir, { recursive: true });
  return true;
}

/** Keeps a freshly formatted node's storage for the next `lab up` (written aside, then renamed). */
export async function saveFormattedStorage(libsDir: string, nodeId: number, properties: string, dataDir: string): Promise<void> {
  const template = templateDir(libsDir, nodeId, properties, dataDir);
  if (await exists(template)) return;
  const scratch = `${template}.${process.pid}.partial`;
  await fs.mkdir(path.dirname(template), { recursive: true });
  await fs.cp(dataDir, scratch, { recursive: true });
  await fs.rename(scratch, template).catch(async () => fs.rm(scratch, { recursive: true, force: true }));
}
