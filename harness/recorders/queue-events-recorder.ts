/**
 * Records the healer's decisions and the workers' lifecycle (task-activity.ts) from topic
 * `queue-events` (direct listener) into the timeline. A
 * throw-away consumer group reads from the beginning and keeps what was produced since the run started
 * (a fresh group joining "at the end" could miss the first seconds). The `healer` source is reported
 * only once the consumer has joined its group.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { HARNESS_FETCH_WAIT_MS } from "../lab/kafka-client.ts";
import { parseQueueEvent, QUEUE_EVENTS_TOPIC } from "../../workloads/queue-events/contract.ts";
import type { Recorder, RecorderContext } from "../core/recorder.ts";
import { HealerDecisionFolder } from "./healer-decisions.ts";
import { TaskActivityFolder } from "./task-activity.ts";

const JOIN_TIMEOUT_MS = 20_000;
const CLOCK_TOLERANCE_MS = 1_000;

export class QueueEventsRecorder implements Recorder {
  readonly name = "queue-events";
  private consumer: Consumer | undefined;
  invalidRecords = 0;

  constructor(private readonly brokers: string[]) {}

  async start(ctx: RecorderContext): Promise<string[]> {
    const kafka = new Kafka({ clientId: "chaoslab-harness-timeline", brokers: this.brokers, logLevel: logLevel.NOTHING });
    // A short long-poll: `stop` at the scenario's end waits for the fetch in flight (HARNESS_FETCH_WAIT_MS).
    const consumer = kafka.consumer({ groupId: `chaoslab-timeline-${randomUUID()}`, sessionTimeout: 10_000, maxWaitTimeInMs: HARNESS_FETCH_WAIT_MS });
    this.consumer = consumer;
    const folder = new HealerDecisionFolder();
    const tasks = new TaskActivityFolder();
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not join a consumer group on ${QUEUE_EVENTS_TOPIC} within ${JOIN_TIMEOUT_MS / 1000}s`)), JOIN_TIMEOUT_MS);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [QUEUE_EVENTS_TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (Number(message.timestamp) < ctx.runStartedAt - CLOCK_TOLERANCE_MS) return;
        const parsed = parseQueueEvent(message.value);
        if (!parsed.ok) {
          this.invalidRecords += 1;
          return;
        }
        const decision = folder.fold(parsed.event);
        const activity = tasks.fold(parsed.event);
        const runTasks = ctx.names?.created() ?? [];
        if (runTasks.length > 0 && !runTasks.includes(parsed.event.taskId)) return;
        if (decision) ctx.timeline.record(decision);
        if (activity) ctx.timeline.record(activity);
      },
    });
    await joined;
    return ["healer", "tasks"];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }
}
