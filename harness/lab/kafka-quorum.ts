/**
 * Who leads the KRaft quorum (the active controller), asked with the Kafka protocol's DescribeQuorum
 * request (API key 55) — kafkajs does not implement it, and its `describeCluster().controller` is a
 * random broker under KRaft, not the quorum leader. A broker forwards DescribeQuorum to the active
 * controller (KIP-919), so any broker of the cluster can be asked.
 *
 * Version 0 is enough: the leader id comes before every field later versions added. The request and
 * the start of the response are coded here by hand (flexible versions: compact arrays and strings,
 * tagged fields), and nothing past the leader is read.
 */
import net from "node:net";

const DESCRIBE_QUORUM = 55;
const METADATA_TOPIC = "__cluster_metadata";

export interface QuorumLeader {
  leaderId: number;
  leaderEpoch: number;
}

function unsignedVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value >>> 0;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** The framed request: size, header v2 (api key, version 0, correlation id, client id, no tags), body. */
export function encodeDescribeQuorumRequest(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId, "utf8");
  const topic = Buffer.from(METADATA_TOPIC, "utf8");
  const header = Buffer.alloc(10);
  header.writeInt16BE(DESCRIBE_QUORUM, 0);
  header.writeInt16BE(0, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(client.length, 8);
  const partition = Buffer.alloc(4); // partition index 0
  const body = Buffer.concat([
    unsignedVarint(1 + 1), // one topic
    unsignedVarint(topic.length + 1),
    topic,
    unsignedVarint(1 + 1), // one partition
    partition,
    unsignedVarint(0), // partition tags
    unsignedVarint(0), // topic tags
    unsignedVarint(0), // request tags
  ]);
  const message = Buffer.concat([header, client, unsignedVarint(0), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length, 0);
  return Buffer.concat([size, message]);
}

/** Reads a response body (after the 4-byte size) up to the leader of __cluster_metadata-0. */
export function decodeDescribeQuorumResponse(response: Buffer, correlationId: number): QuorumLeader {
  let offset = 0;
  const need = (bytes: number) => {
    if (offset + bytes > response.length) throw new Error(`DescribeQuorum response cut short at byte ${offset} of ${response.length}`);
  };
  const int16 = () => (need(2), (offset += 2), response.readInt16BE(offset - 2));
  const int32 = () => (need(4), (offset += 4), response.readInt32BE(offset - 4));
  const varint = () => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      need(1);
      const byte = response[offset++]!;
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
    }
    throw new Error("DescribeQuorum response: a varint longer than 5 bytes");
  };
  const skipTags = () => {
    for (let count = varint(); count > 0; count--) {
      varint();
      const size = varint();
      need(size);
      offset += size;
    }
  };
  const compactString = () => {
    const length = varint() - 1;
    if (length < 0) return undefined;
    need(length);
    offset += length;
    return response.toString("utf8", offset - length, offset);
  };

  const answered = int32();
  if (answered !== correlationId) throw new Error(`DescribeQuorum response for request ${answered}, expected ${correlationId}`);
  skipTags(); // response header v1
  const errorCode = int16();
  if (errorCode !== 0) throw new Error(`DescribeQuorum failed with Kafka error code ${errorCode}`);
  const topics = varint() - 1;
  if (topics < 1) throw new Error("DescribeQuorum response lists no topic");
  const topic = compactString();
  if (topic !== METADATA_TOPIC) throw new Error(`DescribeQuorum response is about ${topic ?? "null"}, not ${METADATA_TOPIC}`);
  const partitions = varint() - 1;
  if (partitions < 1) throw new Error("DescribeQuorum response lists no partition");
  int32(); // partition index
  const partitionError = int16();
  if (partitionError !== 0) throw new Error(`DescribeQuorum: __cluster_metadata-0 failed with Kafka error code ${partitionError}`);
  const leaderId = int32();
  const leaderEpoch = int32();
  if (leaderId < 0) throw new Error("the KRaft quorum has no leader right now");
  return { leaderId, leaderEpoch };
}

/** Asks one broker; rejects on a refused connection, a timeout or a malformed answer. */
export function describeQuorumLeader(address: { host: string; port: number }, timeoutMs = 5_000): Promise<QuorumLeader> {
  const correlationId = Math.floor(Math.random() * 0x7fffffff);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(new Error(`DescribeQuorum to ${address.host}:${address.port}: ${error.message}`));
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on("error", fail);
    socket.on("connect", () => socket.write(encodeDescribeQuorumRequest(correlationId, "chaoslab-quorum")));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      socket.end();
      try {
        resolve(decodeDescribeQuorumResponse(received.subarray(4, 4 + size), correlationId));
      } catch (error) {
        reject(new Error(`DescribeQuorum to ${address.host}:${address.port}: ${(error as Error).message}`));
      }
    });
  });
}
