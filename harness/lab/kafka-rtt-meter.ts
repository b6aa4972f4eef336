/**
 * Measures the round trip of a Kafka request to one address: an ApiVersions v0 request (the cheapest
 * request every broker answers) over a plain TCP connection, timed from write to complete response.
 * Timing excludes connection setup, so only the path's added latency shows. Used as the latency
 * fault's evidence, on the workloads' path (through the fault proxy) and the direct path (control); run
 * against the sim's brokers by the network faults' lab tests.
 */
import type { RttMeter } from "../core/ports.ts";
import { kafkaExchange } from "./kafka-exchange.ts";

const API_VERSIONS_KEY = 18;
const CLIENT_ID = "chaoslab-rtt";
const TIMEOUT_MS = 10_000;

function apiVersionsRequest(correlationId: number): Buffer {
  const clientId = Buffer.from(CLIENT_ID, "utf8");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(API_VERSIONS_KEY, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

export const kafkaRttMeter: RttMeter = {
  measure(address, samples, signal) {
    const timings: number[] = [];
    let sentAt = 0;
    let correlationId = 0;
    const send = (write: (request: Buffer) => void) => {
      sentAt = performance.now();
      write(apiVersionsRequest(++correlationId));
    };
    return kafkaExchange(address, {
      timeoutMs: TIMEOUT_MS,
      timeoutMessage: () => `no Kafka response within ${TIMEOUT_MS / 1000}s`,
      signal,
      start: send,
      onResponse(_body, write) {
        timings.push(performance.now() - sentAt);
        if (timings.length >= samples) return timings;
        send(write);
        return undefined;
      },
    });
  },
};
