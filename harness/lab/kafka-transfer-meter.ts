/**
 * Moves a known number of bytes from one broker to this machine and times it, for the bandwidth fault's
 * evidence: DescribeConfigs (API key 32) of the broker's own configs — every broker config, a cheap read
 * of about 17 KB per response on the sim's Kafka 4.3.1 (30 KB with synonyms, 93 KB with documentation;
 * the smallest is asked so that slow caps still finish a response in seconds) — sent one after another on one TCP
 * connection until at least `minBytes` of responses arrived. Timed from the first write to the last
 * complete response, so connection setup is left out and what shows is the path's throughput.
 *
 * Version 3 is the newest without flexible (compact) encoding, so the request is a handful of fixed
 * fields coded by hand, like DescribeQuorum in kafka-quorum.ts; version 0 is gone from Kafka 4 (KIP-896).
 * Of the response only the correlation id and the first resource's error code are read: the rest is
 * payload, and its size is the measurement.
 */
import type { TransferMeter } from "../core/ports.ts";
import { kafkaExchange } from "./kafka-exchange.ts";

const DESCRIBE_CONFIGS = 32;
const VERSION = 3;
const RESOURCE_TYPE_BROKER = 4;
const CLIENT_ID = "chaoslab-transfer";
const TIMEOUT_MS = 30_000;

/** The framed request: size, header v1 (api key, version, correlation id, client id), body v3. */
export function encodeDescribeConfigsRequest(correlationId: number, brokerId: number): Buffer {
  const client = Buffer.from(CLIENT_ID, "utf8");
  const name = Buffer.from(String(brokerId), "utf8");
  const message = Buffer.alloc(10 + client.length + 4 + 1 + 2 + name.length + 4 + 2);
  let offset = message.writeInt16BE(DESCRIBE_CONFIGS, 0);
  offset = message.writeInt16BE(VERSION, offset);
  offset = message.writeInt32BE(correlationId, offset);
  offset = message.writeInt16BE(client.length, offset);
  offset += client.copy(message, offset);
  offset = message.writeInt32BE(1, offset); // one resource
  offset = message.writeInt8(RESOURCE_TYPE_BROKER, offset);
  offset = message.writeInt16BE(name.length, offset);
  offset += name.copy(message, offset);
  offset = message.writeInt32BE(-1, offset); // configuration keys: null = all of them
  offset = message.writeInt8(0, offset); // include synonyms
  message.writeInt8(0, offset); // include documentation
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length, 0);
  return Buffer.concat([size, message]);
}

/** Checks a response body (after the 4-byte size): its correlation id and the resource's error code. */
export function checkDescribeConfigsResponse(response: Buffer, correlationId: number): void {
  if (response.length < 14) throw new Error(`DescribeConfigs response of ${response.length} bytes is cut short`);
  const answered = response.readInt32BE(0);
  if (answered !== correlationId) throw new Error(`DescribeConfigs response for request ${answered}, expected ${correlationId}`);
  // throttle time (int32), then the results array (int32 count) whose first entry starts with its error code
  if (response.readInt32BE(8) < 1) throw new Error("DescribeConfigs response lists no resource");
  const errorCode = response.readInt16BE(12);
  if (errorCode !== 0) throw new Error(`DescribeConfigs failed with Kafka error code ${errorCode}`);
}

export const kafkaTransferMeter: TransferMeter = {
  transfer(address, brokerId, minBytes, signal) {
    let startedAt = 0;
    let correlationId = 0;
    let bytes = 0;
    let responses = 0;
    const send = (write: (request: Buffer) => void) => write(encodeDescribeConfigsRequest(++correlationId, brokerId));
    return kafkaExchange(address, {
      timeoutMs: TIMEOUT_MS,
      timeoutMessage: () => `${bytes} of ${minBytes} bytes of DescribeConfigs responses within ${TIMEOUT_MS / 1000}s`,
      signal,
      start(write) {
        startedAt = performance.now();
        send(write);
      },
      onResponse(body, write) {
        checkDescribeConfigsResponse(body, correlationId);
        bytes += 4 + body.length;
        responses++;
        if (bytes >= minBytes) return { bytes, ms: performance.now() - startedAt, responses };
        send(write);
        return undefined;
      },
    });
  },
};
