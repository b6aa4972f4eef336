import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { checkDescribeConfigsResponse, encodeDescribeConfigsRequest, kafkaTransferMeter } from "./kafka-transfer-meter.ts";

/** A DescribeConfigs v3 response body: correlation id, throttle, one result with this error code, then padding as the "configs". */
function response(correlationId: number, errorCode: number, payloadBytes: number): Buffer {
  const body = Buffer.alloc(14 + payloadBytes);
  body.writeInt32BE(correlationId, 0);
  body.writeInt32BE(0, 4);
  body.writeInt32BE(1, 8);
  body.writeInt16BE(errorCode, 12);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

describe("Kafka transfer meter (against a fake broker speaking Kafka framing)", () => {
  it("codes DescribeConfigs v3 for the broker resource, all configs, no synonyms or documentation", () => {
    const request = encodeDescribeConfigsRequest(7, 2);
    expect(request.readInt32BE(0)).toBe(request.length - 4);
    expect([request.readInt16BE(4), request.readInt16BE(6), request.readInt32BE(8)]).toEqual([32, 3, 7]);
    const clientIdLength = request.readInt16BE(12);
    expect(request.subarray(14, 14 + clientIdLength).toString()).toBe("chaoslab-transfer");
    const body = request.subarray(14 + clientIdLength);
    // one resource, type BROKER (4), name "2", null config names, include synonyms 0, include documentation 0
    expect([...body]).toEqual([0, 0, 0, 1, 4, 0, 1, 0x32, 0xff, 0xff, 0xff, 0xff, 0, 0]);
  });

  it("rejects a response for another request or with an error code", () => {
    expect(() => checkDescribeConfigsResponse(response(3, 0, 0).subarray(4), 4)).toThrow(/response for request 3, expected 4/);
    expect(() => checkDescribeConfigsResponse(response(3, 42, 0).subarray(4), 3)).toThrow(/Kafka error code 42/);
    expect(() => checkDescribeConfigsResponse(Buffer.alloc(6), 3)).toThrow(/cut short/);
  });

  it("repeats the request on one connection until minBytes arrived, and counts every byte of the framed responses", async () => {
    const requests: number[] = [];
    const server = net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const correlationId = buffered.readInt32BE(8);
          buffered = buffered.subarray(4 + buffered.readInt32BE(0));
          requests.push(correlationId);
          // Split in two writes 20 ms apart: the meter must wait for the whole frame.
          const whole = response(correlationId, 0, 9_982);
          socket.write(whole.subarray(0, 5_000));
          setTimeout(() => socket.write(whole.subarray(5_000)), 20);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await kafkaTransferMeter.transfer({ host: "127.0.0.1", port }, 1, 25_000);
      expect(result).toMatchObject({ bytes: 30_000, responses: 3 });
      expect(result.ms).toBeGreaterThanOrEqual(55);
      expect(requests).toEqual([1, 2, 3]);
    } finally {
      server.close();
    }
  });

  it("fails clearly when nothing listens", async () => {
    await expect(kafkaTransferMeter.transfer({ host: "127.0.0.1", port: 1 }, 1, 1)).rejects.toThrow(/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});
