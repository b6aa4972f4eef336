import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { decodeDescribeQuorumResponse, describeQuorumLeader, encodeDescribeQuorumRequest } from "./kafka-quorum.ts";

/** A DescribeQuorum v0 response body as a broker sends it (after the size), for __cluster_metadata-0. */
function responseBody(correlationId: number, fields: { errorCode?: number; topic?: string; partitionError?: number; leaderId?: number; leaderEpoch?: number } = {}): Buffer {
  const topic = Buffer.from(fields.topic ?? "__cluster_metadata");
  const head = Buffer.alloc(4);
  head.writeInt32BE(correlationId);
  const error = Buffer.alloc(2);
  error.writeInt16BE(fields.errorCode ?? 0);
  const partition = Buffer.alloc(4 + 2 + 4 + 4 + 8);
  partition.writeInt32BE(0, 0);
  partition.writeInt16BE(fields.partitionError ?? 0, 4);
  partition.writeInt32BE(fields.leaderId ?? 2, 6);
  partition.writeInt32BE(fields.leaderEpoch ?? 5, 10);
  partition.writeBigInt64BE(1234n, 14);
  // header tags, error, 1 topic, its name, 1 partition, its fields, then (ignored) voters/observers/tags
  return Buffer.concat([head, Buffer.from([0]), error, Buffer.from([2, topic.length + 1]), topic, Buffer.from([2]), partition, Buffer.from([1, 1, 0, 0, 0])]);
}

describe("DescribeQuorum (KRaft quorum leader)", () => {
  it("frames a v0 request for __cluster_metadata-0 with a v2 header", () => {
    const request = encodeDescribeQuorumRequest(7, "me");
    expect(request.readInt32BE(0)).toBe(request.length - 4);
    expect(request.readInt16BE(4)).toBe(55);
    expect(request.readInt16BE(6)).toBe(0);
    expect(request.readInt32BE(8)).toBe(7);
    expect(request.readInt16BE(12)).toBe(2);
    expect(request.subarray(14, 16).toString()).toBe("me");
    expect(request.includes(Buffer.from("__cluster_metadata"))).toBe(true);
  });

  it("reads the leader and epoch, and nothing past them", () => {
    expect(decodeDescribeQuorumResponse(responseBody(9, { leaderId: 3, leaderEpoch: 12 }), 9)).toEqual({ leaderId: 3, leaderEpoch: 12 });
  });

  it("says what is wrong: another request's answer, a Kafka error, no leader, a cut-short answer", () => {
    expect(() => decodeDescribeQuorumResponse(responseBody(9), 10)).toThrow("response for request 9, expected 10");
    expect(() => decodeDescribeQuorumResponse(responseBody(9, { errorCode: 29 }), 9)).toThrow("Kafka error code 29");
    expect(() => decodeDescribeQuorumResponse(responseBody(9, { partitionError: 6 }), 9)).toThrow("__cluster_metadata-0 failed with Kafka error code 6");
    expect(() => decodeDescribeQuorumResponse(responseBody(9, { leaderId: -1 }), 9)).toThrow("no leader right now");
    expect(() => decodeDescribeQuorumResponse(responseBody(9, { topic: "other" }), 9)).toThrow("is about other");
    expect(() => decodeDescribeQuorumResponse(responseBody(9).subarray(0, 12), 9)).toThrow("cut short");
  });

  describe("over a socket", () => {
    let server: net.Server | undefined;
    afterEach(() => server?.close());

    async function serve(answer: (request: Buffer, socket: net.Socket) => void): Promise<number> {
      server = net.createServer((socket) => socket.once("data", (request) => answer(request, socket)));
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      return (server.address() as net.AddressInfo).port;
    }

    it("sends the request and reads a framed answer, even in pieces", async () => {
      const port = await serve((request, socket) => {
        const body = responseBody(request.readInt32BE(8), { leaderId: 1 });
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        const framed = Buffer.concat([size, body]);
        socket.write(framed.subarray(0, 3));
        setTimeout(() => socket.write(framed.subarray(3)), 20);
      });
      expect(await describeQuorumLeader({ host: "127.0.0.1", port })).toEqual({ leaderId: 1, leaderEpoch: 5 });
    });

    it("gives up after the timeout when the broker never answers", async () => {
      const port = await serve(() => undefined);
      await expect(describeQuorumLeader({ host: "127.0.0.1", port }, 200)).rejects.toThrow("no answer within 200 ms");
    });
  });
});
