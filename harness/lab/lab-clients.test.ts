import fs from "node:fs/promises";
import net from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaRttMeter } from "./kafka-rtt-meter.ts";
import { podInfo } from "./kube-client.ts";

describe("Kafka RTT meter (against a fake broker speaking Kafka framing)", () => {
  it("sends ApiVersions v0 requests and times each framed response", async () => {
    const requests: { apiKey: number; apiVersion: number; correlationId: number; clientId: string }[] = [];
    const server = net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
          buffered = buffered.subarray(4 + frame.length);
          const clientIdLength = frame.readInt16BE(8);
          const request = { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4), clientId: frame.subarray(10, 10 + clientIdLength).toString() };
          requests.push(request);
          // A response split over two writes: the meter must wait for the whole frame.
          const body = Buffer.alloc(10);
          body.writeInt32BE(request.correlationId, 0);
          const size = Buffer.alloc(4);
          size.writeInt32BE(body.length, 0);
          setTimeout(() => {
            socket.write(Buffer.concat([size, body.subarray(0, 3)]));
            setTimeout(() => socket.write(body.subarray(3)), 30);
          }, 20);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const samples = await kafkaRttMeter.measure({ host: "127.0.0.1", port }, 3);
      expect(samples).toHaveLength(3);
      for (const sample of samples) expect(sample).toBeGreaterThanOrEqual(45);
      expect(requests).toEqual([1, 2, 3].map((correlationId) => ({ apiKey: 18, apiVersion: 0, correlationId, clientId: "chaoslab-rtt" })));
    } finally {
      server.close();
    }
  });

  it("fails clearly when nothing listens", async () => {
    await expect(kafkaRttMeter.measure({ host: "127.0.0.1", port: 1 }, 1)).rejects.toThrow(/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });
});

describe("Kubernetes pod summaries", () => {
  it("takes uid, readiness, termination and the controlling owner from a V1Pod", () => {
    expect(
      podInfo({
        metadata: {
          name: "loader-1-abc",
          namespace: "streamforge",
          uid: "u-1",
          labels: { app: "loader" },
          deletionTimestamp: new Date(),
          ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "loader-1", uid: "j-1", controller: true }],
        },
        status: { phase: "Running", podIP: "127.10.0.5", conditions: [{ type: "Ready", status: "True" }] },
        spec: { containers: [], nodeName: "chaoslab-worker" },
      }),
    ).toEqual({
      namespace: "streamforge",
      name: "loader-1-abc",
      uid: "u-1",
      labels: { app: "loader" },
      phase: "Running",
      ready: true,
      terminating: true,
      owner: { kind: "Job", name: "loader-1", uid: "j-1" },
      podIP: "127.10.0.5",
      nodeName: "chaoslab-worker",
    });
  });
});
