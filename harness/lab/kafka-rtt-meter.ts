/**
 * Measures the round trip of a Kafka request to one address: an ApiVersions v0 request (the cheapest
 * request every broker answers) over a plain TCP connection, timed from write to complete response.
 * Timing excludes connection setup, so only the path's added latency shows. Used as the latency
 * fault's evidence, on the workloads' path (through the fault proxy) and the direct path (control).
 *
 * NEEDS LAB VERIFICATION: the wire format follows the Kafka protocol guide; not yet run against a broker.
 */
import net from "node:net";
import type { RttMeter } from "../core/ports.ts";

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
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port });
      const timings: number[] = [];
      let buffered = Buffer.alloc(0);
      let sentAt = 0;
      let correlationId = 0;
      const finish = (error?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        if (error) reject(error);
        else resolve(timings);
      };
      const onAbort = () => finish(new Error("aborted"));
      const timer = setTimeout(() => finish(new Error(`no Kafka response from ${address.host}:${address.port} within ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
      signal?.addEventListener("abort", onAbort, { once: true });
      const send = () => {
        sentAt = performance.now();
        socket.write(apiVersionsRequest(++correlationId));
      };
      socket.once("connect", send);
      socket.on("error", (error) => finish(new Error(`${address.host}:${address.port}: ${error.message}`)));
      socket.on("data", (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const size = buffered.readInt32BE(0);
          buffered = buffered.subarray(4 + size);
          timings.push(performance.now() - sentAt);
          if (timings.length >= samples) return finish();
          send();
        }
      });
    });
  },
};
