/**
 * Entry of the bench's child processes (bench/healer-worker.ts), bundled to JavaScript by the orchestrator
 * (bench/healer.ts) so both the bare consumer and the healer run as compiled code, as the healer's image
 * does: under `--import tsx` each process carried the transpiler and its loader (tens of MiB of RSS and a
 * slower start), which measured tsx more than the healer.
 *
 * Arguments: --worker bare|healer --brokers a,b --topic t --group g
 */
import { bareWorker, healerWorker } from "./healer-worker.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args[args.indexOf(name) + 1];
const brokers = flag("--brokers")!.split(",");
const topic = flag("--topic")!;
if (flag("--worker") === "bare") await bareWorker(brokers, topic);
else await healerWorker(brokers, topic, flag("--group")!);
process.exit(0);
